import Foundation

/// One prompt a pod's ComfyUI accepted: ComfyUI's queue tuple `(number, prompt_id, prompt, extra_data,
/// outputs_to_execute)` plus how long it runs.
struct ComfyJob: Sendable, Hashable {
    var number: Double
    var promptID: String
    var prompt: [String: JSONValue]
    var extraData: [String: JSONValue]
    var outputsToExecute: [String]
    /// Emulator seconds from start to finish (the request's seconds times the time scale).
    var runSeconds: Double
}

/// The prompt ComfyUI is executing.
struct RunningJob: Sendable, Hashable {
    var job: ComfyJob
    var startedAt: Date
    /// When it finishes unless interrupted.
    var endsAt: Date { startedAt.addingTimeInterval(job.runSeconds) }
}

/// A prompt that left the queue by running: to its end, or until `POST /interrupt` stopped it.
struct FinishedJob: Sendable, Hashable {
    var job: ComfyJob
    var startedAt: Date
    var endedAt: Date
    var interrupted: Bool
    /// The history's `outputs`: output node id → `{"images": [...]}`.
    var outputs: [String: JSONValue]
}

/// Jobs a pod's ComfyUI has seen, for the inspection endpoint (`GET /_emulator/state`, each pod's `comfy`).
///
/// A benchmark asserts on `jobsLostByTermination`: a job that was running or waiting when its pod was terminated is
/// what "interrupted by a scale-down" means.
public struct ComfyJobCounts: Codable, Sendable, Hashable {
    /// Prompts that ran to the end (history `status_str` `success`).
    public var jobsCompleted = 0
    /// Prompts stopped by `POST /interrupt` (history `status_str` `error`).
    public var jobsInterrupted = 0
    /// Prompts running or pending when the pod was terminated.
    public var jobsLostByTermination = 0
    /// Prompts running or pending when the container went away otherwise: stopped, restarted, or its machine lost.
    public var jobsLostByStop = 0
    /// Prompts running now (0 or 1).
    public var jobsRunning = 0
    /// Prompts waiting now.
    public var jobsPending = 0
}

/// A pod's ComfyUI queue: one prompt runs at a time, the others wait in number order, finished ones go to the
/// history. It lives with the pod in the world and moves lazily, like the pod: `advance(to:)` finishes every job whose
/// end has come, each at its own time, and starts the next one at that moment.
///
/// The queue, the history and the number counter live in ComfyUI's process: they vanish when the container stops.
struct ComfyQueue: Sendable {
    /// ComfyUI's `MAXIMUM_HISTORY_SIZE`.
    static let historyLimit = 10_000

    private(set) var running: RunningJob?
    private(set) var pending: [ComfyJob] = []
    private(set) var history: [FinishedJob] = []
    private(set) var lifetime = ComfyJobCounts()
    /// `PromptServer.number`: the next queue number.
    private var nextNumber = 0
    /// Images saved so far (ComfyUI numbers its files per prefix; one counter is close enough).
    private var imagesSaved = 0

    /// Counts so far, with the queue as it stands.
    var counts: ComfyJobCounts {
        var counts = lifetime
        counts.jobsRunning = running == nil ? 0 : 1
        counts.jobsPending = pending.count
        return counts
    }

    /// Whether nothing runs and nothing waits.
    var isIdle: Bool { running == nil && pending.isEmpty }

    /// Finishes every job whose end is at or before `now`, starting the next at each end.
    mutating func advance(to now: Date) {
        while let current = running, current.endsAt <= now {
            finish(current, at: current.endsAt, interrupted: false)
        }
    }

    /// Queues a prompt as ComfyUI's `post_prompt` does and starts it at once if nothing runs.
    mutating func submit(_ request: PromptRequest, promptID: String, timeScale: Double, now: Date) -> ComfyJob {
        var number = request.number ?? Double(nextNumber)
        if request.number == nil {
            if request.front { number = -number }
            nextNumber += 1
        }
        let job = ComfyJob(
            number: number, promptID: promptID, prompt: request.prompt, extraData: request.extraData,
            outputsToExecute: request.outputsToExecute, runSeconds: request.runSeconds * timeScale)
        // ComfyUI's queue is a heap on the tuple; among equal numbers the earlier prompt goes first here.
        let index = pending.firstIndex { $0.number > number } ?? pending.endIndex
        pending.insert(job, at: index)
        if running == nil { startNext(at: now) }
        return job
    }

    /// `POST /queue {"delete": [...]}`: removes pending prompts (a running one is stopped with `interrupt`).
    mutating func delete(promptIDs: [String]) {
        pending.removeAll { promptIDs.contains($0.promptID) }
    }

    /// `POST /queue {"clear": true}`: removes every pending prompt.
    mutating func clearPending() { pending.removeAll() }

    /// `POST /interrupt`: stops the running prompt (only if it is `promptID`, when given); the next one starts.
    mutating func interrupt(promptID: String?, now: Date) {
        guard let current = running, promptID == nil || promptID == current.job.promptID else { return }
        finish(current, at: now, interrupted: true)
    }

    /// `POST /history {"delete": [...]}`.
    mutating func deleteHistory(promptIDs: [String]) {
        history.removeAll { promptIDs.contains($0.job.promptID) }
    }

    /// `POST /history {"clear": true}`.
    mutating func clearHistory() { history.removeAll() }

    /// The container went away at `time`: jobs that finished before then are history, the rest are lost with the
    /// process, and so are the history and the number counter.
    mutating func containerStopped(at time: Date, terminated: Bool) {
        advance(to: time)
        let lost = (running == nil ? 0 : 1) + pending.count
        if terminated {
            lifetime.jobsLostByTermination += lost
        } else {
            lifetime.jobsLostByStop += lost
        }
        running = nil
        pending = []
        history = []
        nextNumber = 0
    }

    private mutating func finish(_ current: RunningJob, at end: Date, interrupted: Bool) {
        let outputs = interrupted ? [:] : saveOutputs(of: current.job)
        history.append(FinishedJob(job: current.job, startedAt: current.startedAt, endedAt: end, interrupted: interrupted, outputs: outputs))
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
        if interrupted {
            lifetime.jobsInterrupted += 1
        } else {
            lifetime.jobsCompleted += 1
        }
        running = nil
        startNext(at: end)
    }

    private mutating func startNext(at time: Date) {
        guard !pending.isEmpty else { return }
        running = RunningJob(job: pending.removeFirst(), startedAt: time)
    }

    /// One image per output node, named as ComfyUI names them (`ComfyUI_00001_.png`; previews go to `temp`).
    private mutating func saveOutputs(of job: ComfyJob) -> [String: JSONValue] {
        var outputs: [String: JSONValue] = [:]
        for id in job.outputsToExecute {
            imagesSaved += 1
            let node = job.prompt[id]
            let preview = node?["class_type"]?.stringValue?.hasPrefix("Preview") ?? false
            let prefix = node?["inputs"]?["filename_prefix"]?.stringValue ?? (preview ? "ComfyUI_temp" : "ComfyUI")
            let counter = String(format: "%05d", imagesSaved)
            let image: JSONValue = [
                "filename": .string("\(prefix)_\(counter)_.png"), "subfolder": "", "type": .string(preview ? "temp" : "output"),
            ]
            outputs[id] = ["images": [image]]
        }
        return outputs
    }
}
