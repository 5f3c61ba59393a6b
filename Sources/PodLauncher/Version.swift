/// Which build of runpod-launcher is running: the package version, and the git commit it was built from when the build
/// recorded one. `runpod-launcher --version`, `doctor` and the service's `/healthz` all report ``current``.
///
/// The version is written in this file, so every build knows it: from a clone, from a tarball, with or without git.
/// The commit is recorded only by `scripts/build-release` (which `scripts/install` runs): it writes
/// `BuildStamp.generated.swift` beside this file (not committed) from `git rev-parse HEAD`, or from
/// `$RUNPOD_LAUNCHER_COMMIT` when building from a tarball, and compiles with `-D RUNPOD_LAUNCHER_BUILD_STAMP`.
/// A plain `swift build` never defines that condition, so it reports the version alone rather than a stale commit
/// left behind by an earlier release build.
public struct LauncherVersion: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The package version (semantic versioning), raised by hand when a release is cut.
    public static let packageVersion = "0.1.0"

    /// The package version, e.g. `0.1.0`.
    public var version: String
    /// The full git commit hash the binary was built from, or nil when the build did not record one.
    public var commit: String?
    /// True when tracked files differed from ``commit`` at build time (a build of uncommitted work).
    public var modified: Bool

    /// A version as reported by a build (tests and the service's clients decode it from `/healthz`).
    public init(version: String, commit: String? = nil, modified: Bool = false) {
        self.version = version
        self.commit = commit
        self.modified = modified
    }

    #if RUNPOD_LAUNCHER_BUILD_STAMP
        /// This build, with the commit `scripts/build-release` recorded.
        public static let current = LauncherVersion(version: packageVersion, commit: BuildStamp.commit, modified: BuildStamp.modified)
    #else
        /// This build: one that recorded no commit (a plain `swift build`).
        public static let current = LauncherVersion(version: packageVersion)
    #endif

    /// The commit as people quote it: its first 12 hex digits.
    public var shortCommit: String? { commit.map { String($0.prefix(12)) } }

    /// `0.1.0 (commit 1a2b3c4d5e6f)`, `0.1.0 (commit 1a2b3c4d5e6f, modified)`, or `0.1.0 (commit not recorded)` for a
    /// plain `swift build`: what `--version` prints and a bug report quotes.
    public var description: String {
        guard let shortCommit else { return "\(version) (commit not recorded)" }
        return "\(version) (commit \(shortCommit)\(modified ? ", modified" : ""))"
    }
}
