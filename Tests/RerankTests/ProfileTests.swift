import Foundation
import Testing

@testable import Rerank

/// Prompt profiles, the repetition detector and score fusion: pure parts, no model.
struct ProfileTests {
    static func facts(close: Int32?, control: Bool = false, verdictWords: Bool = true, template: String?) -> VocabularyFacts {
        VocabularyFacts(
            thinkClose: close, thinkCloseIsControl: control, trueToken: verdictWords ? 10 : nil,
            falseToken: verdictWords ? 11 : nil, chatTemplate: template)
    }

    @Test func aCutPassageEndsAtANearWordBoundaryOnly() {
        #expect(Rank1Prompt.cutAtWordEnd("cats are small mamm") == "cats are small")
        // No space near the end (Chinese, a URL): what fits is kept, not cut back to the title.
        let chinese = "标题 " + String(repeating: "猫是小型食肉哺乳动物", count: 20)
        #expect(Rank1Prompt.cutAtWordEnd(chinese) == chinese)
        #expect(RemoteEndpoint.fitted(Passage(id: "z", title: "标题", text: String(repeating: "猫", count: 400)), maxTokens: 50).0.count == 204)
    }

    @Test func automaticProfileFollowsTheVocabularyNotTheName() {
        // A Rank1-shaped vocabulary gets the raw protocol whatever its chat template says (real checkpoints carry one).
        let rank1 = PromptProfile.automatic(ProfileTests.facts(close: 151666, control: true, template: "{{'<|im_start|>' + m}}"))
        #expect(rank1.profile == .rank1 && rank1.rank1Shaped == true)
        #expect(rank1.reason.contains("control token") && rank1.reason.contains("151666"))
        #expect(PromptProfile.automatic(ProfileTests.facts(close: 7, template: nil)).profile == .rank1)
        // `</think>` in several tokens: not Rank1; the chat template decides.
        let chat = PromptProfile.automatic(ProfileTests.facts(close: nil, template: "{{'<|im_start|>' + m}}"))
        #expect(chat.profile == .chatml && chat.rank1Shaped == false && chat.reason.contains("several tokens"))
        #expect(PromptProfile.automatic(ProfileTests.facts(close: nil, template: "<start_of_turn>user")).profile == .gemma)
        #expect(PromptProfile.automatic(ProfileTests.facts(close: nil, template: "")).profile == .rank1)
        // One `</think>` token but multi-token verdict words is not Rank1-shaped either.
        #expect(PromptProfile.automatic(ProfileTests.facts(close: 7, verdictWords: false, template: "<|im_start|>")).profile == .chatml)
        // A server that hides its tokenizer: the remote default, said so.
        let unknown = PromptProfile.automatic(nil)
        #expect(unknown.profile == .rank1 && unknown.rank1Shaped == nil && unknown.reason.contains("remote default"))
        #expect(PromptProfile.named("chatml-demo") == .chatmlDemo && PromptProfile.named("nope") == nil)
    }

    @Test func rank1ProfileIsTheRawPromptByteForByte() {
        let p = PromptProfile.rank1.prompt(filledQuery: "q?", passage: "T x")
        #expect(
            p == "Determine if the following passage is relevant to the query. Answer only with 'true' or 'false'.\nQuery: q?\nPassage: T x\n<think>")
        #expect(PromptProfile.rank1.reasoningStart.isEmpty)
        #expect(PromptProfile.rank1.forcedCloseSuffix(reasoning: " a. b") == "\na.\n</think>")
    }

    @Test func chatmlWrapsTheSameQuestionAndPrefillsTheReasoning() {
        let p = PromptProfile.chatml.prompt(filledQuery: "q?", passage: "T x")
        #expect(
            p == "<|im_start|>system\n" + PromptProfile.system + "<|im_end|>\n<|im_start|>user\n"
                + "Determine if the following passage is relevant to the query. Answer only with 'true' or 'false'.\nQuery: q?\nPassage: T x"
                + "<|im_end|>\n<|im_start|>assistant\n<think>\n")
        #expect(PromptProfile.chatml.reasoningStart == "The query")
        // Already after a newline: no second one before the cut reasoning.
        #expect(PromptProfile.chatml.forcedCloseSuffix(reasoning: "The query asks. And") == "The query asks.\n</think>")
    }

    @Test func everyProfilesSharedPrefixStartsItsPromptAndEndsBeforeThePassage() {
        for profile in PromptProfile.all {
            let prefix = profile.prefix(filledQuery: "what is a cat")
            #expect(prefix.hasSuffix("Passage: "), "\(profile.name)")
            #expect(profile.prompt(filledQuery: "what is a cat", passage: "Cats.").hasPrefix(prefix), "\(profile.name)")
        }
        // Demonstrations live in the shared prefix: one irrelevant, then one relevant, each closed with its verdict.
        let demo = PromptProfile.chatmlDemo.prefix(filledQuery: "q")
        let f = demo.range(of: "</think> false")!
        let t = demo.range(of: "</think> true")!
        #expect(f.lowerBound < t.lowerBound)
        #expect(!PromptProfile.chatml.prefix(filledQuery: "q").contains("</think> true"))
        let gemma = PromptProfile.gemmaDemo.prompt(filledQuery: "q", passage: "p")
        #expect(gemma.hasPrefix("<start_of_turn>user\n" + PromptProfile.system + "<end_of_turn>\n"))
        #expect(gemma.hasSuffix("Passage: p<end_of_turn>\n<start_of_turn>model\n<think>\n"))
    }

    @Test func repetitionDetectorFiresOnLoopsNotOnRestatements() {
        func run(_ tokens: [Int32], window: Int = 4) -> [Int?] {
            var d = RepetitionDetector(window: window)
            return tokens.map { d.append($0) }
        }
        // A block of 5 written twice in a row: fires on the last token of the second copy, which starts at 5.
        let block: [Int32] = [10, 11, 12, 13, 14]
        #expect(run(block + block).last! == 5)
        #expect(run(block + block).dropLast().allSatisfy { $0 == nil })
        // A short cycle (period 2) fires once it has run for `window` tokens past its first period.
        let cycle: [Int32] = [1, 2, 1, 2, 1, 2]
        #expect(run(cycle) == [nil, nil, nil, nil, nil, 2])
        // A phrase restated later, with other words between the copies, is not a loop.
        let restated: [Int32] = [20, 21, 22, 23, 24, 90, 91, 92, 93, 94, 95, 20, 21, 22, 23, 24, 96]
        #expect(run(restated).allSatisfy { $0 == nil })
        var d = RepetitionDetector(window: 4)
        for t in block + block.prefix(4) { _ = d.append(t) }
        d.reset()
        #expect(d.append(14) == nil)  // the block is forgotten after a reset
    }

    @Test func fusionInterpolatesWithMinMaxNormalisedBM25() {
        let f = ScoreFusion(weight: 0.25)
        let fused = f.fuse(bm25: [10, 20, 30], rank1: [1.0, nil, 0.0])
        #expect(abs(fused[0] - 0.25) < 1e-12)  // 0.25·1 + 0.75·0
        #expect(abs(fused[1] - 0.375) < 1e-12)  // unjudged: BM25 share only
        #expect(abs(fused[2] - 0.75) < 1e-12)  // 0.25·0 + 0.75·1
        #expect(ScoreFusion(weight: 0).fuse(bm25: [5, 5], rank1: [0.1, 0.9]) == [1, 1])  // equal BM25 → 1
        #expect(ScoreFusion(weight: 7).weight == 1 && ScoreFusion(weight: -1).weight == 0)
        #expect(f.label == "fused 0.25·Rank1 + 0.75·BM25")
    }
}
