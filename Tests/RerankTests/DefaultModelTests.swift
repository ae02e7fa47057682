import Foundation
import Testing

@testable import Rerank

/// The model and profile the README's run command ships with must reason, not loop (issue 6's criterion (a)):
/// on a fixed scifact pair, with the automatic profile and its default thinking settings, the chain is at least
/// 40 tokens, does not repeat itself, and has no repeated line.
@Suite(.serialized) struct DefaultModelTests {
    @Test func defaultProfileWritesANonRepetitiveChain() async throws {
        let config = LlamaConfiguration(
            libraryPath: RerankFixtures.libraryPath,
            modelPath: RerankFixtures.model(RuntimeDiscovery.defaultModel), threads: 2)
        let engine = try LlamaReranker(configuration: config)
        let profile = engine.automaticProfile.profile
        var r = RerankRequest(
            query: "ALDH1 expression is associated with poorer prognosis for breast cancer primary tumors.",
            passages: [try RerankFixtures.scifact("22401720")])
        r.profile = profile
        r.budget = 96
        r.parallel = 1
        r.maxPassageTokens = 256
        r.minReasoningTokens = profile.defaultMinReasoningTokens
        r.repetitionGuard = profile.defaultRepetitionGuard
        let v = try #require(RerankFixtures.verdicts(await RerankFixtures.events(engine, r)).first)
        #expect(!v.repetitive, "the chain repeats itself: \(v.reasoning)")
        #expect(v.reasoningTokens >= 40, "only \(v.reasoningTokens) tokens: \(v.reasoning)")
        // An independent look at the text: no line or sentence of some length appears twice.
        let pieces = v.reasoning.split(whereSeparator: { ".\n".contains($0) }).map { $0.trimmingWhitespace() }.filter { $0.count >= 20 }
        #expect(Set(pieces).count == pieces.count, "a sentence repeats: \(v.reasoning)")
    }
}
