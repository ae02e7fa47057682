import Foundation
import Testing

@testable import Rerank

@Suite struct TraceCacheTests {
    let request: RerankRequest = {
        var r = RerankRequest(query: "q", instruction: "FILL_QUERY_HERE must", passages: [Passage(id: "p", text: "text")])
        r.budget = 32
        return r
    }()

    static func key(_ r: RerankRequest, judge: String = "m", threads: Int? = 2, passage: Passage? = nil) -> TraceCache.Key {
        TraceCache.key(
            JudgmentIdentity(judge: judge, threads: threads, request: r, profile: r.profile ?? .rank1), request: r,
            passage: passage ?? r.passages[0])
    }

    /// Every stored property of RerankRequest is either the judgment's subject or a setting in its identity, and
    /// changing any setting changes the cache key. The properties are enumerated with Mirror: a property added to the
    /// request without a change below fails here, so a new setting can never be left out of what the cache matches.
    @Test func everySettingOfTheRequestIsInTheKey() {
        let changes: [String: (inout RerankRequest) -> Void] = [
            "budget": { $0.budget += 1 }, "parallel": { $0.parallel += 1 }, "rethink": { $0.rethink += 1 },
            "minReasoningTokens": { $0.minReasoningTokens += 1 }, "profile": { $0.profile = .gemma },
            "repetitionGuard": { $0.repetitionGuard.toggle() }, "repetitionWindow": { $0.repetitionWindow += 1 },
            "maxPassageTokens": { $0.maxPassageTokens += 1 }, "schedule": { $0.schedule = .single }, "draft": { $0.draft.toggle() },
            "draftTokens": { $0.draftTokens += 1 }, "probe": { $0.probe.toggle() },
            "earlyExit": { $0.earlyExit = EarlyExit(threshold: 0.6, count: 2) }, "direct": { $0.direct.toggle() },
        ]
        let labels = Set(Mirror(reflecting: request).children.compactMap(\.label))
        #expect(labels.subtracting(JudgmentIdentity.subject) == Set(changes.keys), "a request property without a test of its key")
        let base = TraceCacheTests.key(request)
        for (name, change) in changes {
            var r = request
            change(&r)
            #expect(TraceCacheTests.key(r) != base, "\(name) changed, the key did not")
        }
        for name in JudgmentIdentity.subject { #expect(base.settings[name] == nil) }
        // The judge: its model, and its threads (a verdict made at --threads 2 is not one --threads 1 would give).
        #expect(TraceCacheTests.key(request, threads: 1) != base)
        #expect(TraceCacheTests.key(request, judge: "remote vLLM rank1-7b") != base)
        // The query, the instruction and the passage's content are the subject.
        var q = request
        q.query = "other"
        #expect(TraceCacheTests.key(q) != base)
        q = request
        q.instruction = nil
        #expect(TraceCacheTests.key(q) != base)
    }

    func verdict(_ s: Double) -> Verdict {
        Verdict(
            passage: 0, score: s, probabilityTrue: 0.1, reasoning: "because", reasoningTokens: 3, forcedClose: true, rethinks: 0,
            truncatedPassage: false, promptTokens: 40, seconds: 1.5)
    }

    @Test func storedJudgmentComesBackIdentical() {
        let cache = TraceCache(directory: RerankFixtures.tempDir())
        let key = TraceCacheTests.key(request)
        #expect(cache.lookup(key, passage: 0) == nil)
        cache.store(key, verdict(0.25))
        var expected = verdict(0.25)
        expected.cached = true
        #expect(cache.lookup(key, passage: 0) == expected)
        // Any change of what the judgment depends on is another key.
        var other = request
        other.budget = 33
        #expect(cache.lookup(TraceCacheTests.key(other), passage: 0) == nil)
        var drafted = request
        drafted.draft = true  // a drafted chain can part from the undrafted one beyond one thread
        #expect(cache.lookup(TraceCacheTests.key(drafted), passage: 0) == nil)
        #expect(cache.lookup(TraceCacheTests.key(request, judge: "m2"), passage: 0) == nil)
        let edited = Passage(id: "p", text: "text!")
        #expect(cache.lookup(TraceCacheTests.key(request, passage: edited), passage: 0) == nil)
    }

    @Test func damagedFileIsAMissAndIsRemoved() throws {
        let dir = RerankFixtures.tempDir()
        let cache = TraceCache(directory: dir)
        let key = TraceCacheTests.key(request)
        cache.store(key, verdict(0.5))
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first)
        try "{\"key\": garbage".write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
        #expect(cache.lookup(key, passage: 0) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func sizeIsBounded() throws {
        let dir = RerankFixtures.tempDir()
        let cache = TraceCache(directory: dir, limitBytes: 20_000)
        for i in 0..<300 {
            let p = Passage(id: "p\(i)", text: "text \(i)")
            cache.store(TraceCacheTests.key(request, passage: p), verdict(Double(i) / 300))
        }
        cache.trim()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        let total = try files.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: dir + "/" + $1)[.size] as? Int) ?? 0) }
        #expect(total <= 20_000)
        #expect(files.count > 10)
    }
}
