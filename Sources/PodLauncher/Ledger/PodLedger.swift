import Foundation

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The local record of pods launchers on this machine created and have not yet seen terminated.
///
/// One JSON file per pod, `<directory>/pods/<podID>.json`, each written to a temporary file and renamed into place:
/// concurrent launchers never touch each other's files, and a reader never sees half a record. The default
/// directory is `$XDG_STATE_HOME/runpod-launcher` (`~/.local/state/runpod-launcher` when unset).
public struct PodLedger: Sendable, Hashable {
    /// The ledger's directory (holds `pods/`).
    public let directory: URL

    /// A ledger in `directory` (created on the first write).
    public init(directory: URL) {
        self.directory = directory
    }

    /// The directory holding one file per pod.
    public var podsDirectory: URL { directory.appendingPathComponent("pods", isDirectory: true) }

    /// `$XDG_STATE_HOME/runpod-launcher`, else `$HOME/.local/state/runpod-launcher`; nil with neither.
    /// A relative `XDG_STATE_HOME` is ignored, as the XDG Base Directory specification says.
    public static func defaultDirectory(environment: [String: String]) -> URL? {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return URL(fileURLWithPath: state, isDirectory: true).appendingPathComponent("runpod-launcher", isDirectory: true)
        }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".local/state/runpod-launcher", isDirectory: true)
    }

    /// The ledger at the default location for this process's environment (the CLI's), to share it: `RunPodLauncher(ledger: .standard)`.
    public static var standard: PodLedger? {
        defaultDirectory(environment: ProcessInfo.processInfo.environment).map(PodLedger.init(directory:))
    }

    /// A ledger read or write that failed, with the path and the system's reason.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The file or directory.
        public var path: String
        /// What went wrong.
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Writes (or replaces) `record` atomically.
    public func write(_ record: PodLedgerRecord) throws {
        let url = try fileURL(podID: record.podID)
        do {
            try FileManager.default.createDirectory(at: podsDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure(path: podsDirectory.path, reason: "cannot create the directory (\(error.localizedDescription))")
        }
        let data: Data
        do {
            data = try Self.encoder.encode(record)
        } catch {
            throw Failure(path: url.path, reason: "cannot encode the record (\(error))")
        }
        try Self.writeAtomically(data, to: url)
    }

    /// The record of `podID`, nil when there is none or it cannot be read.
    public func record(podID: String) -> PodLedgerRecord? {
        guard let url = try? fileURL(podID: podID), let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try? Self.decoder.decode(PodLedgerRecord.self, from: data)
    }

    /// Deletes the record of `podID`; no record is not an error.
    public func remove(podID: String) throws {
        let url = try fileURL(podID: podID)
        if unlink(url.path) != 0, errno != ENOENT { throw Failure(path: url.path, reason: String(cString: strerror(errno))) }
    }

    /// Every readable record, oldest first, and the files that could not be read as records.
    public func load() -> (records: [PodLedgerRecord], unreadable: [URL]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: podsDirectory.path) else { return ([], []) }
        var records: [PodLedgerRecord] = []
        var unreadable: [URL] = []
        // Dot files are writes in progress (or left by a writer killed mid-write): never records.
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let url = podsDirectory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path), let record = try? Self.decoder.decode(PodLedgerRecord.self, from: data)
            else {
                unreadable.append(url)
                continue
            }
            records.append(record)
        }
        return (records.sorted { ($0.createdAt, $0.podID) < ($1.createdAt, $1.podID) }, unreadable)
    }

    /// Marks every record `owner` holds and has not released as released now (the owner is exiting normally and
    /// leaves those pods running on purpose). Returns the pod IDs marked.
    @discardableResult
    public func release(ownedBy owner: LedgerProcess = .current, at date: Date = Date()) -> [String] {
        var released: [String] = []
        for var record in load().records where record.owner == owner && record.releasedAt == nil {
            record.releasedAt = date
            if (try? write(record)) != nil { released.append(record.podID) }
        }
        return released
    }

    /// `pods/<podID>.json`; an ID that is not a plain file name (RunPod's are alphanumeric) is hex-encoded so a
    /// hostile answer cannot point outside the directory.
    func fileURL(podID: String) throws -> URL {
        let plain =
            !podID.isEmpty && podID.count <= 128 && !podID.hasPrefix(".") && !podID.hasPrefix("x-")
            && podID.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
        let base = plain ? podID : "x-" + podID.utf8.map { String(format: "%02x", $0) }.joined()
        guard base.count <= 250 else { throw Failure(path: podsDirectory.path, reason: "pod ID too long for a file name") }
        return podsDirectory.appendingPathComponent(base + ".json")
    }

    private static func writeAtomically(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(PodIdentity.randomHex(8)).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(path: temporary.path, reason: String(cString: strerror(errno))) }
        var renamed = false
        defer {
            if !renamed { unlink(temporary.path) }
        }
        let written: Int = data.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            var offset = 0
            while offset < buffer.count {
                let count = systemWrite(descriptor, base + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return -1
                }
                offset += count
            }
            return offset
        }
        let writeError = written == data.count ? nil : String(cString: strerror(errno))
        // fsync so a power cut (the "lost laptop") cannot leave an empty file behind the rename.
        let syncFailed = writeError == nil && fsync(descriptor) != 0
        let syncError = syncFailed ? String(cString: strerror(errno)) : nil
        close(descriptor)
        if let reason = writeError ?? syncError { throw Failure(path: temporary.path, reason: reason) }
        guard rename(temporary.path, url.path) == 0 else { throw Failure(path: url.path, reason: String(cString: strerror(errno))) }
        renamed = true
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RunPodLauncher.timestamp(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 date: \(text)")
            }
            return date
        }
        return decoder
    }()
}

/// The C `write(2)`, named apart from the many Swift `write` methods in scope.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
        Darwin.write(descriptor, buffer, count)
    #elseif canImport(Glibc)
        Glibc.write(descriptor, buffer, count)
    #else
        Musl.write(descriptor, buffer, count)
    #endif
}
