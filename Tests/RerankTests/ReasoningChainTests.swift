import Foundation
import Testing

@testable import Rerank

/// The one judging protocol both backends use: every way a chain ends, and what is evaluated then.
struct ReasoningChainTests {
    static func chain(
        budget: Int = 50, minTokens: Int = 0, guardOn: Bool = false, rethinks: Int = 0, close: Int32? = 99,
        profile: PromptProfile = .rank1
    ) -> ReasoningChain {
        var r = RerankRequest(query: "q", passages: [])
        r.budget = budget
        r.minReasoningTokens = minTokens
        r.repetitionGuard = guardOn
        r.repetitionWindow = 4
        r.rethink = rethinks
        return ReasoningChain(rules: ReasoningChain.Rules(request: r, profile: profile, thinkClose: close))
    }

    @Test func aHiddenCloseIsSeenByIdAndWrittenOut() {
        var c = ReasoningChainTests.chain()
        #expect(c.append(token: 1, text: "It fits.", endsGeneration: false).step == .more)
        #expect(c.append(token: 2, text: "\n", endsGeneration: false).step == .more)
        // A server that hides control tokens sends no text for `</think>`; its id still closes the chain.
        let (shown, step) = c.append(token: 99, text: "", endsGeneration: false)
        #expect(shown == "</think>")
        #expect(step == .close(closing: "It fits.\n</think>", atEnd: true))
        #expect(!c.forced && c.reasoning == "It fits.\n</think>" && c.totalThought == 3)
    }

    @Test func theCloseIsFoundFromAnOffsetOnly() {
        var t = "a </think> b </think>"
        #expect(ReasoningChain.thinkCloseEnd(in: &t, from: 0) == 10)
        #expect(ReasoningChain.thinkCloseEnd(in: &t, from: 3) == 21)
        #expect(ReasoningChain.thinkCloseEnd(in: &t, from: 14) == nil)
        var partial = "x </thin"
        #expect(ReasoningChain.thinkCloseEnd(in: &partial, from: 0) == nil)
        var end = "</think>"
        #expect(ReasoningChain.thinkCloseEnd(in: &end, from: 0) == 8 && ReasoningChain.thinkCloseEnd(in: &end, from: 9) == nil)
    }

    @Test func aCloseInTheTextCutsWhatFollowsIt() {
        var c = ReasoningChainTests.chain(close: nil)
        _ = c.append(token: nil, text: "Yes.\n</th", endsGeneration: false)
        // The verdict that follows `</think>` in the same piece is never reasoning.
        let (shown, step) = c.append(token: nil, text: "ink> true", endsGeneration: false)
        #expect(shown == "ink>")
        #expect(step == .close(closing: "Yes.\n</think>", atEnd: false))
    }

    @Test func endOfGenerationAndTheBudgetCloseByForceAfterTheLastSentence() {
        var c = ReasoningChainTests.chain()
        _ = c.append(token: 1, text: " One. Two", endsGeneration: false)
        #expect(c.append(token: 2, text: "", endsGeneration: true).step == .close(closing: "\nOne.\n</think>", atEnd: false))
        #expect(c.forced)
        var b = ReasoningChainTests.chain(budget: 2)
        _ = b.append(token: 1, text: "A b.", endsGeneration: false)
        #expect(b.append(token: 2, text: " c", endsGeneration: false).step == .close(closing: "\nA b.\n</think>", atEnd: false))
        // Chat profiles already end their prompt with a newline after `<think>`.
        var chat = ReasoningChainTests.chain(budget: 1, profile: .chatml)
        #expect(chat.reasoning == "The query")
        #expect(
            chat.append(token: 1, text: " is odd. And", endsGeneration: false).step == .close(closing: "The query is odd.\n</think>", atEnd: false))
    }

    @Test func theGuardCutsBeforeALoop() {
        var c = ReasoningChainTests.chain(guardOn: true)
        _ = c.append(token: 1, text: "Start.", endsGeneration: false)
        var last = ReasoningChain.Step.more
        for i in 0..<12 where last == .more {
            last = c.append(token: Int32(10 + i % 2), text: i % 2 == 0 ? " a." : " b.", endsGeneration: false).step
        }
        #expect(c.stoppedRepeating && c.repetitive && c.forced)
        #expect(last == .close(closing: "\nStart. a. b.\n</think>", atEnd: false))
        // Backends without ids: texts stand in for them.
        var t = ReasoningChainTests.chain(guardOn: true, close: nil)
        last = .more
        for i in 0..<12 where last == .more { last = t.append(token: nil, text: i % 2 == 0 ? " a." : " b.", endsGeneration: false).step }
        #expect(t.stoppedRepeating)
    }

    @Test func minimumLengthAndRethinks() {
        var c = ReasoningChainTests.chain(minTokens: 2, rethinks: 1)
        #expect(c.closingMasked)
        _ = c.append(token: 1, text: "A.", endsGeneration: false)
        _ = c.append(token: 2, text: "\n", endsGeneration: false)
        #expect(!c.closingMasked)
        _ = c.append(token: 99, text: "</think>", endsGeneration: false)
        #expect(c.reopen() == "\nWait")
        #expect(c.reasoning == "A.\n\nWait" && c.thought == 0 && c.closingMasked && c.rethinks == 1)
        _ = c.append(token: 3, text: " Sure.", endsGeneration: false)
        _ = c.append(token: 99, text: "", endsGeneration: false)
        #expect(c.reopen() == nil && c.totalThought == 5)
        #expect(Rank1Score.of(logitTrue: 1, logitFalse: 0) == 1 / (1 + exp(-1.0)) && Rank1Score.fallback == 0.5)
    }
}
