#if canImport(Glibc)
    import Glibc
#endif

/// How the service hands memory back after a burst. glibc's malloc keeps what it frees: in up to 8 arenas per core
/// (one more for each thread that met contention), each holding on to its free pages, and large blocks stop being
/// mapped on their own once a few have been freed (the mmap threshold climbs from 128 KiB towards 32 MiB), so they
/// too stay in the arenas. A service that idles after a burst of creates and terminates would keep the burst's
/// high-water mark for good (BENCHMARKS.md, "Service": each of the three settings measured there). `PodService`
/// applies `.compact` unless its options say otherwise; the settings are process-wide, so an embedder with its own
/// malloc tuning passes `.unchanged`. Does nothing where the C library is not glibc.
public struct MemoryPolicy: Sendable {
    /// At most this many malloc arenas (nil: glibc's default). Ignored when `MALLOC_ARENA_MAX` is set in the
    /// environment: glibc reads that itself, and an operator's setting wins.
    public var mallocArenas: Int?
    /// Blocks at least this large get their own mapping, returned to the system when freed (nil: glibc's climbing
    /// threshold). Ignored when `MALLOC_MMAP_THRESHOLD_` is set.
    public var mmapThreshold: Int?
    /// Return the heap's free pages to the system (`malloc_trim`) each time the reconciler goes quiet: nothing
    /// pending, creating, starting or terminating, and no step in flight, after a tick that had some.
    public var trimWhenQuiet: Bool

    public init(mallocArenas: Int? = nil, mmapThreshold: Int? = nil, trimWhenQuiet: Bool = false) {
        self.mallocArenas = mallocArenas
        self.mmapThreshold = mmapThreshold
        self.trimWhenQuiet = trimWhenQuiet
    }

    /// glibc's defaults: nothing changed, nothing trimmed.
    public static let unchanged = MemoryPolicy()
    /// One arena per core of the 2-core machines the service is sized for, large blocks mapped from glibc's initial
    /// 128 KiB up (the answer to a full listing of 1,000 launches is about 400 KB), and a trim after each burst.
    public static let compact = MemoryPolicy(mallocArenas: 2, mmapThreshold: 128 * 1024, trimWhenQuiet: true)

    /// Sets the arena cap and the mmap threshold (once, at start: arenas made before it stay).
    func apply() {
        #if canImport(Glibc)
            guard let mallopt = GlibcMalloc.mallopt else { return }
            if let arenas = mallocArenas, getenv("MALLOC_ARENA_MAX") == nil {
                _ = mallopt(GlibcMalloc.arenaMax, Int32(clamping: max(1, arenas)))
            }
            if let threshold = mmapThreshold, getenv("MALLOC_MMAP_THRESHOLD_") == nil {
                _ = mallopt(GlibcMalloc.mmapThreshold, Int32(clamping: max(0, threshold)))
            }
        #endif
    }

    /// What the reconciler calls when it goes quiet (nil: nothing).
    var onQuiet: (@Sendable () -> Void)? { trimWhenQuiet ? { @Sendable in Self.trim() } : nil }

    /// Returns free heap pages to the system now (it walks every arena: once per burst, never per request).
    static func trim() {
        #if canImport(Glibc)
            _ = GlibcMalloc.trim?(0)
        #endif
    }
}

#if canImport(Glibc)
    /// glibc's malloc tuning calls, looked up in the C library at run time: Swift's Glibc module leaves out
    /// `<malloc.h>`, and the package has no C target to import it from. Nil when the C library lacks them.
    private enum GlibcMalloc {
        /// `M_ARENA_MAX` and `M_MMAP_THRESHOLD` in `<malloc.h>`.
        static let arenaMax: Int32 = -8
        static let mmapThreshold: Int32 = -3
        static let mallopt = symbol("mallopt", as: (@convention(c) (Int32, Int32) -> Int32).self)
        static let trim = symbol("malloc_trim", as: (@convention(c) (UInt) -> Int32).self)

        private static func symbol<F>(_ name: String, as type: F.Type) -> F? {
            // A null handle is RTLD_DEFAULT: the symbol as the process's own lookup finds it.
            guard let address = dlsym(nil, name) else { return nil }
            return unsafeBitCast(address, to: type)
        }
    }
#endif
