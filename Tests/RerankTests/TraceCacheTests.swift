import Foundation
import Testing

@testable import Rerank

@Suite struct TraceCacheTests {
    let request: RerankRequest = {
        var r = RerankRequest(query: "q", instruction: "FILL_QUERY_HERE must", passages: [Passage(id: "p", text: "text")])
        r.budget = 32
        return r
    }()

    func verdict(_ s: Double) -> Verdict {
        Verdict(
            passage: 0, score: s, probabilityTrue: 0.1, reasoning: "because", reasoningTokens: 3, forcedClose: true, rethinks: 0,
            truncatedPassage: false, promptTokens: 40, seconds: 1.5)
    }

    @Test func storedJudgmentComesBackIdentical() {
        let cache = TraceCache(directory: RerankFixtures.tempDir())
        let key = TraceCache.key(model: "m", request: request, profile: .rank1, passage: request.passages[0])
        #expect(cache.lookup(key, passage: 0) == nil)
        cache.store(key, verdict(0.25))
        var expected = verdict(0.25)
        expected.cached = true
        #expect(cache.lookup(key, passage: 0) == expected)
        // Any change of what the judgment depends on is another key.
        var other = request
        other.budget = 33
        #expect(cache.lookup(TraceCache.key(model: "m", request: other, profile: .rank1, passage: other.passages[0]), passage: 0) == nil)
        var drafted = request
        drafted.draft = true  // a drafted chain can part from the undrafted one beyond one thread
        #expect(cache.lookup(TraceCache.key(model: "m", request: drafted, profile: .rank1, passage: drafted.passages[0]), passage: 0) == nil)
        #expect(cache.lookup(TraceCache.key(model: "m2", request: request, profile: .rank1, passage: request.passages[0]), passage: 0) == nil)
        let edited = Passage(id: "p", text: "text!")
        #expect(cache.lookup(TraceCache.key(model: "m", request: request, profile: .rank1, passage: edited), passage: 0) == nil)
    }

    @Test func damagedFileIsAMissAndIsRemoved() throws {
        let dir = RerankFixtures.tempDir()
        let cache = TraceCache(directory: dir)
        let key = TraceCache.key(model: "m", request: request, profile: .rank1, passage: request.passages[0])
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
            cache.store(TraceCache.key(model: "m", request: request, profile: .rank1, passage: p), verdict(Double(i) / 300))
        }
        cache.trim()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        let total = try files.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: dir + "/" + $1)[.size] as? Int) ?? 0) }
        #expect(total <= 20_000)
        #expect(files.count > 10)
    }
}
