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
}
