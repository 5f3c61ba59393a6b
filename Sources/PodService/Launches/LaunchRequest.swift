import Foundation
import NIOCore
import PodLauncher

/// The body of `POST /v1/pods`, parsed and checked: a profile name and the `LaunchOverrides` to lay over it.
///
/// `parse` reads the JSON itself (not through `Decodable`, which stops at the first error and reads `1.0` as 1) and
/// lists **every** error with its JSON Pointer: unknown fields, wrong types, each constraint of the contract's
/// `LaunchRequest` schema. Malformed JSON, or a top level that is not an object, is a 400; everything else a 422.
/// Names and env values are kept exactly as sent: nothing is trimmed or escaped.
public struct LaunchRequest: Sendable, Hashable {
    /// The profile to start from (`profile`), nil for the defaults alone.
    public var profile: String?
    /// What the body sets. `networkVolume: null` sets `noNetworkVolume`; `networkVolume` absent leaves both unset.
    public var overrides: LaunchOverrides
    /// The body as canonical JSON (keys sorted, numbers normalised, no whitespace): two bodies are the same request
    /// for `Idempotency-Key` when these are equal.
    public var canonicalJSON: String

    /// A request with these values.
    public init(profile: String? = nil, overrides: LaunchOverrides = LaunchOverrides(), canonicalJSON: String = "{}") {
        self.profile = profile
        self.overrides = overrides
        self.canonicalJSON = canonicalJSON
    }

    /// The body's fields, as the contract names them.
    public static let fields = [
        "profile", "name", "image", "gpus", "gpuCount", "cloudType", "networkVolume", "ports", "env", "timeoutSeconds",
        "maxLifetimeSeconds", "maxCostUsd",
    ]
    /// The longest `timeoutSeconds` a body may ask for: one day.
    public static let maxTimeoutSeconds = 86_400
    /// Env names with this prefix are the service's stamps on its pods; a body may not set them.
    public static let reservedEnvPrefix = "RUNPOD_LAUNCHER"
    /// At most this many errors are listed in one 422 (a hostile body could have thousands); `detail` gives the count.
    public static let maxListedErrors = 100

    /// Parses and checks `body`; an empty body is `{}`. Throws a 400 `Problem` for malformed JSON or a non-object top
    /// level, and a 422 listing every error otherwise.
    public static func parse(_ body: ByteBuffer) throws(Problem) -> LaunchRequest {
        try parse(bytes: Array(body.readableBytesView))
    }

    /// Parses and checks `body` (see `parse(_: ByteBuffer)`).
    public static func parse(_ body: Data) throws(Problem) -> LaunchRequest {
        try parse(bytes: Array(body))
    }

    /// The canonical JSON of `body` (an empty body is `{}`), whether or not its fields are valid: what an
    /// `Idempotency-Key` is compared on. Throws a 400 `Problem` when `body` is not a JSON object.
    public static func canonicalJSON(of body: ByteBuffer) throws(Problem) -> String {
        try object(from: Array(body.readableBytesView)).canonical
    }

    /// Parses `body` and resolves it (see `resolve(profiles:environment:launchID:)`) in one step, so that one 422
    /// lists the body's errors and an unknown profile together.
    public static func resolve(
        body: ByteBuffer, profiles: LaunchProfiles?, environment: [String: String], launchID: String? = nil
    ) throws(Problem) -> (request: LaunchRequest, plan: LaunchPlanRecord) {
        let object = try object(from: Array(body.readableBytesView))
        var reader = FieldReader()
        let request = reader.read(object)
        guard reader.errors.isEmpty else {
            var errors = reader.errors
            do {
                _ = try profile(named: request.profile, in: profiles)
            } catch {
                errors += error.errors ?? []
            }
            throw validation(errors)
        }
        return (request, try request.resolve(profiles: profiles, environment: environment, launchID: launchID))
    }

    static func parse(bytes: [UInt8]) throws(Problem) -> LaunchRequest {
        let body = try object(from: bytes)
        var reader = FieldReader()
        let request = reader.read(body)
        guard reader.errors.isEmpty else { throw validation(reader.errors) }
        return request
    }

    /// The top-level JSON object in `bytes`, or the 400 that says why there is none.
    static func object(from bytes: [UInt8]) throws(Problem) -> JSONValue {
        if bytes.isEmpty { return .object([]) }
        let value: JSONValue
        do {
            value = try JSONReader.read(bytes)
        } catch {
            throw Problem.badRequest("The body is not valid JSON: \(error.message) at byte \(error.offset).")
        }
        guard case .object = value else {
            throw Problem.badRequest("The body must be a JSON object (got \(value.kind)).")
        }
        return value
    }

    /// The 422 for `errors`, listing the first `maxListedErrors`.
    static func validation(_ errors: [Problem.FieldError]) -> Problem {
        var problem = Problem.validation(Array(errors.prefix(maxListedErrors)))
        if errors.count > maxListedErrors {
            problem.detail = "\(errors.count) errors in the request body (the first \(maxListedErrors) are listed)."
        }
        return problem
    }
}

// MARK: - Field checks

/// Reads the top-level object into a `LaunchRequest`, collecting every error instead of stopping at the first.
struct FieldReader {
    var errors: [Problem.FieldError] = []

    mutating func fail(_ pointer: JSONPointer, _ detail: String) {
        errors.append(.pointer(pointer.text, detail))
    }

    mutating func read(_ body: JSONValue) -> LaunchRequest {
        var request = LaunchRequest(canonicalJSON: body.canonical)
        guard case .object(let members) = body else { return request }
        var seen = Set<String>()
        for member in members {
            let (key, value) = (member.key, member.value)
            let at = JSONPointer.root.appending(key)
            guard seen.insert(key).inserted else {
                fail(at, "appears more than once")
                continue
            }
            switch key {
            case "profile": request.profile = string(value, at: at, blankAllowed: true)
            case "name": request.overrides.name = string(value, at: at)
            case "image": request.overrides.image = string(value, at: at)
            case "gpus": request.overrides.gpuTypeIDs = gpus(value, at: at)
            case "gpuCount": request.overrides.gpuCount = integer(value, at: at, in: 1...Int.max)
            case "cloudType": request.overrides.cloudType = cloudType(value, at: at)
            case "networkVolume":
                if case .null = value {
                    request.overrides.noNetworkVolume = true
                } else {
                    request.overrides.networkVolumeID = string(value, at: at, blankAllowed: true, nullAllowed: true)
                }
            case "ports": request.overrides.ports = ports(value, at: at)
            case "env": request.overrides.env = env(value, at: at)
            case "timeoutSeconds":
                request.overrides.timeout = integer(value, at: at, in: 1...LaunchRequest.maxTimeoutSeconds).map { .seconds($0) }
            case "maxLifetimeSeconds": request.overrides.maxLifetime = integer(value, at: at, in: 1...Int.max).map { .seconds($0) }
            case "maxCostUsd": request.overrides.maxCost = dollars(value, at: at)
            default: fail(at, "is not a field of a launch request\(suggestion(for: key))")
            }
        }
        return request
    }

    /// A string of at least one character; unless `blankAllowed`, with at least one that is not whitespace.
    mutating func string(_ value: JSONValue, at: JSONPointer, blankAllowed: Bool = false, nullAllowed: Bool = false) -> String? {
        guard case .string(let text) = value else {
            fail(at, "must be a string\(nullAllowed ? " or null" : "") (got \(value.kind))")
            return nil
        }
        if text.isEmpty {
            fail(at, "must not be empty")
            return nil
        }
        if !blankAllowed, text.unicodeScalars.allSatisfy(JSONReader.isSchemaWhitespace) {
            fail(at, "must contain a character that is not whitespace")
            return nil
        }
        return text
    }

    /// An integer in `range`. As in JSON Schema, a number whose fraction is zero is an integer (`600.0` and `6e2` are
    /// 600: a Python client that computed a float is not refused); `1.5` and `"1"` are type errors.
    mutating func integer(_ value: JSONValue, at: JSONPointer, in range: ClosedRange<Int>) -> Int? {
        let wanted = range.upperBound == Int.max ? "an integer ≥ \(range.lowerBound)" : "an integer from \(range.lowerBound) to \(range.upperBound)"
        guard case .number(let lexeme) = value else {
            fail(at, "must be \(wanted) (got \(value.kind))")
            return nil
        }
        let exact: Int? =
            if JSONReader.isIntegerLexeme(lexeme) {
                Int(lexeme)
            } else if let double = Double(lexeme), double.isFinite, double.rounded() == double, abs(double) <= 9_007_199_254_740_992 {
                Int(double)
            } else {
                nil
            }
        guard let number = exact, range.contains(number) else {
            fail(at, "must be \(wanted) (got \(value.kind))")
            return nil
        }
        return number
    }

    /// A finite number of USD above 0.
    mutating func dollars(_ value: JSONValue, at: JSONPointer) -> Double? {
        guard case .number(let lexeme) = value, let number = Double(lexeme), number.isFinite, number > 0 else {
            fail(at, "must be a number of USD > 0 (got \(value.kind))")
            return nil
        }
        return number
    }

    mutating func cloudType(_ value: JSONValue, at: JSONPointer) -> CloudType? {
        let names = CloudType.allCases.map(\.rawValue)
        guard case .string(let text) = value, let cloud = CloudType(rawValue: text) else {
            fail(at, "must be one of \(names.joined(separator: ", ")) (got \(value.kind))")
            return nil
        }
        return cloud
    }

    /// `gpus`: at least one GPU type ID, each a non-blank string, none twice.
    mutating func gpus(_ value: JSONValue, at: JSONPointer) -> [String] {
        guard let items = array(value, at: at, of: "GPU type IDs") else { return [] }
        var out: [String] = []
        var first: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            guard let id = string(item, at: at.appending(index)) else { continue }
            if let earlier = first[id] {
                fail(at.appending(index), "repeats \(at.appending(earlier).text)")
                continue
            }
            first[id] = index
            out.append(id)
        }
        return out
    }

    /// `ports`: at least one `PORT[/http|/tcp]`, 1-65535, no port number twice.
    mutating func ports(_ value: JSONValue, at: JSONPointer) -> [PortSpec] {
        guard let items = array(value, at: at, of: "ports") else { return [] }
        var out: [PortSpec] = []
        var first: [Int: Int] = [:]
        for (index, item) in items.enumerated() {
            let place = at.appending(index)
            guard case .string(let text) = item else {
                fail(place, "must be a string such as \"8188/http\" or \"22/tcp\" (got \(item.kind))")
                continue
            }
            guard Self.isPortText(text), let port = PortSpec(text) else {
                fail(place, "must be PORT, PORT/http or PORT/tcp with PORT from 1 to 65535 (got \"\(Problem.echo(text))\")")
                continue
            }
            if let earlier = first[port.port] {
                fail(place, "repeats port \(port.port) of \(at.appending(earlier).text)")
                continue
            }
            first[port.port] = index
            out.append(port)
        }
        return out
    }

    /// The contract's pattern `^[1-9][0-9]{0,4}(/(http|tcp))?$` (PortSpec alone would take `+80`, `080` and `80/HTTP`).
    static func isPortText(_ text: String) -> Bool {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let digits = parts.first, (1...5).contains(digits.utf8.count), digits.utf8.first != UInt8(ascii: "0"),
            digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return false }
        return parts.count == 1 || parts[1] == "http" || parts[1] == "tcp"
    }

    /// `env`: names without `=`, not blank, not the service's; values strings.
    mutating func env(_ value: JSONValue, at: JSONPointer) -> [String: String] {
        guard case .object(let members) = value else {
            fail(at, "must be an object of environment variables (got \(value.kind))")
            return [:]
        }
        var out: [String: String] = [:]
        var seen = Set<String>()
        for member in members {
            let (name, entry) = (member.key, member.value)
            let place = at.appending(name)
            var valid = true
            guard seen.insert(name).inserted else {
                fail(place, "appears more than once")
                continue
            }
            if name.isEmpty || name.unicodeScalars.allSatisfy(JSONReader.isSchemaWhitespace) {
                fail(place, "an environment variable name must not be empty or blank")
                valid = false
            } else if name.contains("=") {
                fail(place, "an environment variable name must not contain '='")
                valid = false
            } else if name.hasPrefix(LaunchRequest.reservedEnvPrefix) {
                fail(place, "names beginning \(LaunchRequest.reservedEnvPrefix) are reserved for the service's marks on its pods")
                valid = false
            }
            guard case .string(let text) = entry else {
                fail(place, "must be a string (got \(entry.kind))")
                continue
            }
            if valid { out[name] = text }
        }
        return out
    }

    /// A non-empty array, or nil after recording why not.
    mutating func array(_ value: JSONValue, at: JSONPointer, of what: String) -> [JSONValue]? {
        guard case .array(let items) = value else {
            fail(at, "must be an array of \(what) (got \(value.kind))")
            return nil
        }
        guard !items.isEmpty else {
            fail(at, "must list at least one")
            return nil
        }
        return items
    }

    /// ` (did you mean 'gpus'?)` for a near miss of a field name, else the list of fields.
    func suggestion(for key: String) -> String {
        let lowered = key.lowercased()
        let close =
            LaunchRequest.fields.first { $0.lowercased() == lowered }
            ?? LaunchRequest.fields.filter { key.count < 40 && Self.editDistance(lowered, $0.lowercased()) <= 2 }.first
        if let close { return " (did you mean '\(close)'?)" }
        return " (the fields are \(LaunchRequest.fields.joined(separator: ", ")))"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        var previous = Array(0...b.count)
        for i in a.indices {
            var current = [i + 1]
            for j in b.indices {
                current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (a[i] == b[j] ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

// MARK: - Resolving against a profile

extension LaunchRequest {
    /// The launch this request asks for: its profile (from `profiles`, the file read at start) under its overrides,
    /// resolved by `LaunchPlan.resolve`, with `environment` supplying `RUNPOD_NETWORK_VOLUME_ID`. With no `name`, one
    /// is generated, ending in `launchID`'s first 4 digits when given. Throws a 422: an unknown profile at
    /// `#/profile`, Community Cloud with a network volume at the field that asked for it, anything else at `#`.
    ///
    /// Not carried into the record (it has no field for them): the profile's `wait-for-capacity` (the service waits
    /// until `timeoutSeconds`) and `pod-side-deadline`/`start-command`.
    public func resolve(profiles: LaunchProfiles?, environment: [String: String], launchID: String? = nil) throws(Problem) -> LaunchPlanRecord {
        let profile = try Self.profile(named: profile, in: profiles)
        let at = JSONPointer.root
        if let problem = communityVolumeConflict(profile: profile, environment: environment) { throw Self.validation([problem]) }
        if let profile, let reserved = profile.env.keys.sorted().first(where: { $0.hasPrefix(Self.reservedEnvPrefix) }) {
            throw Self.validation([
                .pointer(
                    at.appending("profile").text,
                    "profile '\(profile.name)' sets \(reserved); names beginning \(Self.reservedEnvPrefix) are reserved for the service's marks")
            ])
        }
        let plan: LaunchPlan
        do {
            plan = try LaunchPlan.resolve(profile: profile, overrides: overrides, environment: environment)
        } catch {
            // `resolve` throws only `LauncherError`s; anything else is said without its text, which could hold a secret.
            let detail = (error as? LauncherError)?.reasonDescription ?? "the request cannot be combined with the profile"
            throw Self.validation([.pointer(at.text, detail)])
        }
        var spec = plan.spec
        if spec.name == nil {
            let suffix = launchID.map { String($0.prefix(4)) } ?? PodIdentity.randomHex(4)
            spec.name = PodIdentity.generateName(image: spec.image, suffix: suffix)
        }
        return LaunchPlanRecord(
            spec: spec, networkVolumeIDs: plan.options.networkVolumeIDs, timeoutSeconds: Self.wholeSeconds(plan.options.timeout),
            maxLifetimeSeconds: plan.options.limits.maxLifetime.map(Self.wholeSeconds), maxCostUSD: plan.options.limits.maxCost,
            readyPath: plan.readyPath, probeApp: plan.probeApp)
    }

    /// The profile called `name`, or the 422 at `#/profile` naming the ones there are.
    static func profile(named name: String?, in profiles: LaunchProfiles?) throws(Problem) -> LaunchProfile? {
        guard let name else { return nil }
        let at = JSONPointer.root.appending("profile").text
        guard let profiles else { throw validation([.pointer(at, "the service has no profiles file, so no profile '\(Problem.echo(name))'")]) }
        do {
            return try profiles.profile(named: name)
        } catch {
            throw validation([.pointer(at, error.description)])
        }
    }

    /// Community Cloud cannot attach a network volume: the error, at the body field that asked for one of the two
    /// (else at `#/profile`), worded for a request body rather than the CLI's flags.
    func communityVolumeConflict(profile: LaunchProfile?, environment: [String: String]) -> Problem.FieldError? {
        let cloud = overrides.cloudType ?? profile?.cloudType ?? .all
        let volumes = LaunchPlan.networkVolumes(profile: profile, overrides: overrides, environment: environment)
        guard cloud == .community, let volume = volumes.first else { return nil }
        let origin =
            overrides.networkVolumeID != nil
            ? "networkVolume"
            : profile?.networkVolumeIDs?.isEmpty == false
                ? "profile '\(profile?.name ?? "")'"
                : environment["RUNPOD_NETWORK_VOLUME_ID"] != nil ? "the service's RUNPOD_NETWORK_VOLUME_ID" : "the service's default"
        let field = overrides.cloudType != nil ? "cloudType" : overrides.networkVolumeID != nil ? "networkVolume" : "profile"
        return .pointer(
            JSONPointer.root.appending(field).text,
            "COMMUNITY cloud cannot attach network volume \(volume) (from \(origin)): network volumes exist only in Secure Cloud; "
                + "use cloudType SECURE or ALL, or send \"networkVolume\": null")
    }

    /// `duration` in whole seconds, rounded up, at least 1 (limits and timeouts are stored as seconds).
    static func wholeSeconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let whole = attoseconds > 0 && seconds < Int64.max ? seconds + 1 : seconds
        return Int(clamping: Swift.max(1, whole))
    }
}
