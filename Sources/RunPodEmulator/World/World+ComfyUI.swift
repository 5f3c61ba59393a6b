import Foundation

/// The ComfyUI inside each pod: its queue lives with the pod, under the world's lock, and moves on the world's clock.
extension World {
    /// Queues a prompt on a pod's ComfyUI; nil when the app does not answer (unknown pod, not running, not ready).
    func submitPrompt(podID: String, _ request: PromptRequest) -> ComfyJob? {
        let (now, scale) = (clock.now, timeScale)
        return state.withLock { world in
            guard world.comfyAnswers(podID: podID, now: now, timeScale: scale) else { return nil }
            let promptID = request.promptID ?? world.random.uuid()
            return world.pods[podID]?.comfy.submit(request, promptID: promptID, timeScale: scale, now: now)
        }
    }

    /// Reads or changes a pod's ComfyUI queue as of now; nil when the app does not answer.
    func withComfyUI<T: Sendable>(podID: String, _ body: (inout ComfyQueue, Date) -> T) -> T? {
        let (now, scale) = (clock.now, timeScale)
        return state.withLock { world in
            guard world.comfyAnswers(podID: podID, now: now, timeScale: scale) else { return nil }
            return world.pods[podID]?.comfy.change { body(&$0, now) }
        }
    }

    /// Each pod's job counts as of now, terminated pods included (inspection).
    func comfyJobCounts() -> [String: ComfyJobCounts] {
        let (now, scale) = (clock.now, timeScale)
        return state.withLock { world in
            var counts: [String: ComfyJobCounts] = [:]
            for id in world.podOrder {
                world.advance(id: id, now: now, timeScale: scale)
                counts[id] = world.pods[id]?.comfy.counts
            }
            return counts
        }
    }
}

extension WorldState {
    /// Advances the pod to now and tells whether its app answers through the proxy.
    fileprivate mutating func comfyAnswers(podID: String, now: Date, timeScale: Double) -> Bool {
        advance(id: podID, now: now, timeScale: timeScale)
        guard let record = pods[podID]?.record else { return false }
        return record.alive && record.status == .running && record.appReady
    }
}

extension ComfyQueue {
    /// Runs `body` on the queue in place (through an optional chain into the world's pods).
    fileprivate mutating func change<T>(_ body: (inout ComfyQueue) -> T) -> T { body(&self) }
}

extension SeededRandom {
    /// A version-4 UUID in lowercase, as Python's `str(uuid.uuid4())` prints it, drawn from the seeded generator.
    mutating func uuid() -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &self) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex.dropFirst(range.lowerBound).prefix(range.count))
        }
        return groups.joined(separator: "-")
    }
}
