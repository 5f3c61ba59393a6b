import Foundation
import Hummingbird

/// `/_emulator/...` (no auth): `GET state`, `GET faults`, `POST faults` (a JSON array of `FaultRule`, replacing the
/// rules in force).
func addInspectionRoutes(to router: Router<EmulatorRequestContext>, core: EmulatorCore) {
    router.get("/_emulator/state") { _, _ in
        Reply.json(EmulatorState(world: core.world)).response
    }
    router.get("/_emulator/faults") { _, _ in
        Reply.json(core.faults.rules()).response
    }
    router.post("/_emulator/faults") { request, _ in
        let body = try await request.body.collect(upTo: 1 << 20)
        do {
            let rules = try JSONDecoder().decode([FaultRule].self, from: Data(buffer: body))
            core.faults.set(rules)
            return Reply.json(rules).response
        } catch {
            return Reply.problem(.unprocessableContent, detail: "expected a JSON array of fault rules: \(error)").response
        }
    }
}
