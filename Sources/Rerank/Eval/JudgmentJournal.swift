import Foundation

/// An evaluation's judgments on disk, one JSON line each, appended the moment each is made, so that a run
/// killed at any instant loses at most the line being written and the same command continues where it stopped.
/// The first line holds the settings that produce the judgments; a run with other settings is refused with the
/// setting that differs. A torn last line (the kill came mid-write: no newline) is dropped and reported; a whole line
/// that is not a judgment is damage, reported with its line number; failed judgments are kept for the record and
/// judged again on resume. One writer at a time: the folder's `journal.lock` is held (flock) while the journal is open,
/// so a second evaluation into the same folder is refused, naming the first; a lock left by a killed process is free.
public final class JudgmentJournal {
    public struct Entry: Codable, Sendable, Equatable {
        public var query: String
        public var doc: String
        /// "judged" or "failed".
        public var status: String
        public var score: Double?
        public var pTrue: Double?
        public var tokens: Int?
        public var forcedClose: Bool?
        public var repetitive: Bool?
        public var stoppedRepeating: Bool?
        public var seconds: Double?
        public var reasoning: String?
        public var reason: String?
        public var settings: String
        /// With probes: the score after each sentence as [tokens, score] pairs (early exit is measured on them).
        public var trajectory: [[Double]]?
        /// The server gave neither " true" nor " false": the score is the reference's fallback, 0.5.
        public var fallback: Bool?
        /// The direct verdict (no reasoning) of the same pair: its score and P(" true").
        public var direct: Double?
        public var directPTrue: Double?

        public init(
            query: String, doc: String, status: String, score: Double? = nil, pTrue: Double? = nil, tokens: Int? = nil,
            forcedClose: Bool? = nil, repetitive: Bool? = nil, stoppedRepeating: Bool? = nil, seconds: Double? = nil,
            reasoning: String? = nil, reason: String? = nil, settings: String
        ) {
            self.query = query
            self.doc = doc
            self.status = status
            self.score = score
            self.pTrue = pTrue
            self.tokens = tokens
            self.forcedClose = forcedClose
            self.repetitive = repetitive
            self.stoppedRepeating = stoppedRepeating
            self.seconds = seconds
            self.reasoning = reasoning
            self.reason = reason
            self.settings = settings
        }

        enum CodingKeys: String, CodingKey {
            case query, doc, status, score, tokens, seconds, reasoning, reason, settings, repetitive
            case pTrue = "p_true"
            case forcedClose = "forced_close"
            case stoppedRepeating = "stopped_repeating"
            case trajectory, direct, fallback
            case directPTrue = "direct_p_true"
        }
    }

    private struct Header: Codable {
        var journal: Int
        var settings: [String: String]
        var hash: String
    }

    public let path: String
    public let settingsHash: String
    /// Judged pairs read back from an earlier run, by query then document.
    public private(set) var judged: [String: [String: Entry]] = [:]
    /// Failed judgments read back (judged again by this run).
    public private(set) var failedEarlier = 0
    /// Bytes of a torn last line that were dropped, if any.
    public private(set) var tornBytes = 0
    /// The process that held the folder's lock before and is gone (its lock was taken over), if any.
    public private(set) var tookOverFrom: Int32?
    private let handle: FileHandle
    private let lock: Int32

    /// Opens (or creates) `directory/journal.jsonl` for `settings`; throws when it was written with others.
    public init(directory: String, settings: [String: String]) throws {
        path = directory + "/journal.jsonl"
        settingsHash = JudgmentJournal.hash(settings)
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        (lock, tookOverFrom) = try JudgmentJournal.lock(directory)
        // A journal that exists but cannot be read must stop the run: starting a new one would write over it.
        let existing = fm.contents(atPath: path)
        if existing == nil && fm.fileExists(atPath: path) {
            throw RerankError("cannot read \(path) (its judgments are kept; fix its permissions or use another --out)")
        }
        if let data = existing, !data.isEmpty {
            var good = 0  // bytes of whole lines kept
            var lineNumber = 0
            var start = data.startIndex
            while start < data.endIndex {
                lineNumber += 1
                guard let nl = data[start...].firstIndex(of: 10) else {
                    tornBytes = data.endIndex - start  // no newline: the kill came mid-write
                    break
                }
                let line = data[start..<nl]
                if lineNumber == 1 {
                    guard let h = try? JSONDecoder().decode(Header.self, from: line) else {
                        throw RerankError("\(path):1: not a rank1 judgment journal")
                    }
                    if h.hash != settingsHash {
                        throw RerankError(
                            "\(path) was written with other settings: " + JudgmentJournal.difference(h.settings, settings)
                                + "; use another --out, or remove the journal to start over")
                    }
                } else {
                    // A whole line (its newline written with it, in one write) that is not a judgment is damage, never torn.
                    guard let e = try? JSONDecoder().decode(Entry.self, from: line) else {
                        throw RerankError("\(path):\(lineNumber): not a judgment (the journal is damaged; remove it to start over)")
                    }
                    if e.status == "judged" { judged[e.query, default: [:]][e.doc] = e } else { failedEarlier += 1 }
                }
                good = nl + 1 - data.startIndex
                start = nl + 1
            }
            guard let h = FileHandle(forUpdatingAtPath: path) else { throw RerankError("cannot open \(path) for writing") }
            try h.truncate(atOffset: UInt64(good))
            try h.seekToEnd()
            handle = h
        } else {
            let header = Header(journal: 1, settings: settings, hash: settingsHash)
            var data = try JSONEncoder.sorted.encode(header)
            data.append(10)
            guard fm.createFile(atPath: path, contents: data), let h = FileHandle(forUpdatingAtPath: path) else {
                throw RerankError("cannot create \(path)")
            }
            try h.seekToEnd()
            handle = h
        }
    }

    private var closed = false

    /// Closes the journal and frees the folder for the next writer (deinit does it too, when the journal goes).
    public func close() {
        guard !closed else { return }
        closed = true
        try? handle.close()
        _ = ftruncate(lock, 0)  // a clean end leaves no holder named in the lock file
        closeDescriptor(lock)  // releases the folder's lock
    }

    deinit { close() }

    /// Takes `directory/journal.lock` (flock, released by the kernel when the holder exits, however it exits) and
    /// writes this process's id into it. Throws naming the holder when another process has it; returns the id of a
    /// process whose lock was left behind (it is gone).
    static func lock(_ directory: String) throws -> (Int32, Int32?) {
        let path = directory + "/journal.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RerankError("cannot open \(path): \(String(cString: strerror(errno)))") }
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, 32, 0)
        let holder = Int32(String(decoding: buffer.prefix(max(0, n)), as: UTF8.self).trimmingWhitespace())
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            closeDescriptor(fd)
            throw RerankError(
                "\(directory) is being written by another rank1 eval\(holder.map { " (process \($0))" } ?? ""); "
                    + "wait for it to finish, stop it, or use another --out")
        }
        let me = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, me, me.count, 0)
        return (fd, holder.flatMap { $0 != getpid() && $0 > 0 ? $0 : nil })
    }

    /// Appends one judgment as a whole line (one write, so a kill leaves at most a torn last line).
    public func append(_ e: Entry) throws {
        var data = try JSONEncoder.sorted.encode(e)
        data.append(10)
        try handle.write(contentsOf: data)
        if e.status == "judged" { judged[e.query, default: [:]][e.doc] = e }
    }

    /// A short, stable fingerprint of the settings (FNV-1a over the sorted key=value lines).
    static func hash(_ settings: [String: String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (k, v) in settings.sorted(by: { $0.key < $1.key }) {
            for b in (k + "=" + v + "\n").utf8 {
                h ^= UInt64(b)
                h = h &* 0x100_0000_01b3
            }
        }
        return String(format: "%016llx", h)
    }

    static func difference(_ old: [String: String], _ new: [String: String]) -> String {
        let keys = Set(old.keys).union(new.keys).sorted().filter { old[$0] != new[$0] }
        return keys.prefix(3).map { k in "\(k) was \(show(old[k])), now \(show(new[k]))" }.joined(separator: "; ")
    }

    private static func show(_ v: String?) -> String {
        guard let v else { return "unset" }
        let one = v.replacingOccurrences(of: "\n", with: "\\n")
        return "\"" + (one.count > 60 ? one.prefix(57) + "…" : one) + "\""
    }
}

extension JSONEncoder {
    /// Sorted keys: the same judgment is always the same bytes.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

/// close(2) by another name: inside JudgmentJournal, `close` is its own method.
private func closeDescriptor(_ fd: Int32) { close(fd) }
