import Foundation
import PodLauncher

/// One-paragraph human summaries printed on stderr at the end of a command.
enum Summary {
    /// "pod abc is ready after 40.1s on 1× NVIDIA … in EU-RO-1 ($0.69/h): http://…".
    static func ready(_ ready: ReadyPod) -> String {
        let pod = ready.pod
        let gpu = pod.gpuTypeID.map { " on \(pod.gpuCount)× \($0)" } ?? ""
        let place = pod.dataCenterID.map { " in \($0)" } ?? ""
        let seconds = String(format: "%.1f", ProgressDrawing.seconds(ready.readyAfter))
        var text = "pod \(pod.id) is ready after \(seconds)s\(gpu)\(place) (\(ProgressDrawing.price(pod.costPerHour)))"
        for (port, url) in ready.urls.sorted(by: { $0.key < $1.key }) { text += "\n  \(port): \(url.absoluteString)" }
        if let ssh = ready.sshCommand { text += "\n  ssh: \(ssh)" }
        return text
    }

    /// The ready pod's summary for one pod; for several, "3 pods ready (1× NVIDIA A40 in EU-RO-1, $2.07/h in all):" and
    /// one line per pod, plus any given up with --min-ready.
    static func launched(_ launched: LaunchedPods, count: Int) -> String {
        if count == 1, let pod = launched.pods.first { return ready(pod) }
        var text = "\(launched.pods.count) pod\(launched.pods.count == 1 ? "" : "s") ready"
        if let first = launched.pods.first?.pod {
            text += " (\(first.gpuCount)× \(first.gpuTypeID ?? "GPU")\(first.dataCenterID.map { " in \($0)" } ?? ""), "
            text += "\(ProgressDrawing.price(launched.pods.map(\.pod.costPerHour).reduce(0, +))) in all)"
        }
        text += ":"
        for ready in launched.pods {
            let url = ready.urls.sorted { $0.key < $1.key }.first.map { "  \($0.value.absoluteString)" } ?? ""
            text += "\n  \(ready.pod.id)  \(ready.pod.name)\(url)"
        }
        for failure in launched.failures { text += "\n  gave up on \(failure.description) (terminated)" }
        return text
    }
}
