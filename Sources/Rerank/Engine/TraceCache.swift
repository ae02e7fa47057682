import CSupport
import Foundation

/// Finished judgments on disk, so re-judging a pair is instant and identical. One small JSON file per
/// judgment under $XDG_CACHE_HOME/rank1/traces (default ~/.cache/rank1/traces), named by a hash of its
/// key; the file repeats the whole key, so a hash collision or a damaged file is a miss (and the file
/// is removed), never a wrong answer. Past `limitBytes` the least recently written files go.
public final class TraceCache: @unchecked Sendable {
    /// Bump when anything that changes a judgment changes (prompt, decoding, scoring).
    public static let protocolVersion = "rank1-protocol-3"

    /// One judgment's identity (`JudgmentIdentity`) with its subject: the query, the instruction, the passage.
    public struct Key: Codable, Equatable, Sendable {
        var protocolVersion: String
        var judge: String
        var threads: Int?
        var query: String
        var instruction: String
        var passageID: String
        var passageHash: String
        var settings: [String: String]
    }

    private struct Entry: Codable {
        var key: Key
        var score: Double
        var probabilityTrue: Double
        var reasoning: String
        var reasoningTokens: Int
        var forcedClose: Bool
        var rethinks: Int
        var truncatedPassage: Bool
        var promptTokens: Int
        var seconds: Double
        var repetitive: Bool?
        var stoppedRepeating: Bool?
        var trajectory: [Probe]?
        var earlyExit: Bool?
        /// The direct verdict (no reasoning) of the same passage, when it was computed.
        var direct: DirectVerdict?
        var fallback: Bool?
    }

    public let directory: String
    public let limitBytes: Int
    private let lock = NSLock()
    private var writesSinceTrim = 0

    public init(directory: String = TraceCache.defaultDirectory(), limitBytes: Int = 64 << 20) {
        self.directory = directory
        self.limitBytes = limitBytes
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    public static func defaultDirectory() -> String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/rank1/traces"
    }

    static func hash(_ s: String) -> String {
        var t = s
        let (a, b) = t.withUTF8 { buf -> (UInt32, UInt32) in
            (r1_crc32c(0, buf.baseAddress, buf.count), r1_crc32c(0x9E37_79B9, buf.baseAddress, buf.count))
        }
        return String(format: "%08x%08x%x", a, b, s.utf8.count)
    }

    public static func key(_ identity: JudgmentIdentity, request: RerankRequest, passage: Passage) -> Key {
        Key(
            protocolVersion: protocolVersion, judge: identity.judge, threads: identity.threads, query: request.query,
            instruction: request.instruction ?? "", passageID: passage.id, passageHash: hash(passage.title + "\u{1}" + passage.text),
            settings: identity.settings)
    }

    private func path(_ key: Key) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // the file name must not depend on key order
        guard let data = try? encoder.encode(key) else { return nil }  // (strings and numbers always encode)
        return directory + "/" + TraceCache.hash(String(decoding: data, as: UTF8.self)) + ".json"
    }

    public func lookup(_ key: Key, passage: Int) -> Verdict? {
        guard let p = path(key), let data = FileManager.default.contents(atPath: p) else { return nil }
        guard let e = try? JSONDecoder().decode(Entry.self, from: data), e.key == key else {
            try? FileManager.default.removeItem(atPath: p)  // damaged or a collision: drop it
            return nil
        }
        var v = Verdict(
            passage: passage, score: e.score, probabilityTrue: e.probabilityTrue, reasoning: e.reasoning,
            reasoningTokens: e.reasoningTokens, forcedClose: e.forcedClose, rethinks: e.rethinks,
            truncatedPassage: e.truncatedPassage, promptTokens: e.promptTokens, seconds: e.seconds, cached: true,
            repetitive: e.repetitive ?? false, stoppedRepeating: e.stoppedRepeating ?? false)
        v.trajectory = e.trajectory ?? []
        v.earlyExit = e.earlyExit ?? false
        v.direct = e.direct
        v.fallback = e.fallback ?? false
        return v
    }

    public func store(_ key: Key, _ v: Verdict) {
        let e = Entry(
            key: key, score: v.score, probabilityTrue: v.probabilityTrue, reasoning: v.reasoning,
            reasoningTokens: v.reasoningTokens, forcedClose: v.forcedClose, rethinks: v.rethinks,
            truncatedPassage: v.truncatedPassage, promptTokens: v.promptTokens, seconds: v.seconds,
            repetitive: v.repetitive, stoppedRepeating: v.stoppedRepeating, trajectory: v.trajectory.isEmpty ? nil : v.trajectory,
            earlyExit: v.earlyExit ? true : nil, direct: v.direct, fallback: v.fallback ? true : nil)
        guard let data = try? JSONEncoder().encode(e), let p = path(key) else { return }
        let tmp = p + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else { return }
        if rename(tmp, p) != 0 { unlink(tmp) }
        lock.lock()
        writesSinceTrim += 1
        let trim = writesSinceTrim >= 64
        if trim { writesSinceTrim = 0 }
        lock.unlock()
        if trim { self.trim() }
    }

    /// Removes the oldest files until the cache is under 80% of its limit.
    public func trim() {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return }
        var files: [(path: String, size: Int, date: Date)] = []
        for n in names where n.hasSuffix(".json") {
            let p = directory + "/" + n
            guard let a = try? fm.attributesOfItem(atPath: p) else { continue }
            files.append((p, (a[.size] as? Int) ?? 0, (a[.modificationDate] as? Date) ?? .distantPast))
        }
        var total = files.reduce(0) { $0 + $1.size }
        guard total > limitBytes else { return }
        for f in files.sorted(by: { $0.date < $1.date }) {
            if total <= limitBytes * 4 / 5 { break }
            try? fm.removeItem(atPath: f.path)
            total -= f.size
        }
    }
}
