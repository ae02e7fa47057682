import Foundation
import Testing

@testable import Rerank

/// `--jsonl` lines keep the keys their kind documents: values a line may lack are written as null, not left out.
struct EventJSONTests {
    static func object(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func finishedWritesNullBeforeAnyToken() throws {
        var s = JobStats(passages: 2, judged: 1, failed: 1, decodeTokens: 0, promptTokens: 5, seconds: 0.5, cancelled: false)
        let none = try Self.object(EventJSON.encode(.finished(s), passages: []))
        #expect(none["event"] as? String == "finished")
        #expect(none.keys.contains("first_token_seconds") && none["first_token_seconds"] is NSNull)
        #expect(none["judged"] as? Int == 1 && none["failed"] as? Int == 1 && none["prompt_tokens"] as? Int == 5)
        #expect(none["early_exits"] as? Int == 0 && none["endpoints"] as? [Any] != nil)
        s.firstTokenSeconds = 0.25
        let some = try Self.object(EventJSON.encode(.finished(s), passages: []))
        #expect(some["first_token_seconds"] as? Double == 0.25)
        #expect(Set(some.keys) == Set(none.keys))
    }

    @Test func profileWritesNullWhenTheBackendCannotTell() throws {
        let choice = ProfileChoice(profile: .rank1, reason: "asked", rank1Shaped: nil)
        let line = try Self.object(EventJSON.profile(choice, model: "m", backend: "b"))
        #expect(line["rank1_checkpoint"] is NSNull && line["profile"] as? String == "rank1" && line["backend"] as? String == "b")
        let known = try Self.object(EventJSON.profile(ProfileChoice(profile: .rank1, reason: "asked", rank1Shaped: true), model: "m", backend: "b"))
        #expect(known["rank1_checkpoint"] as? Bool == true)
    }
}
