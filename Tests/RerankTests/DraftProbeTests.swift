import Foundation
import Testing

@testable import Rerank

/// Prompt-lookup drafts, verdict probes and early exit: the parts on their own, then the engine with them on
/// against the engine with them off.
struct DraftProbeTests {
    @Test func lookupContinuesTheMostRecentLongestMatch() {
        let l = PromptLookup()
        // "7 8" occurred twice; the most recent occurrence (followed by 9 4) is continued.
        #expect(l.draft([1, 7, 8, 2, 3, 7, 8, 9, 4, 5, 7, 8], count: 3) == [9, 4, 5])
        // The 3-gram "3 7 8" beats the more recent 2-gram match.
        #expect(l.draft([3, 7, 8, 1, 2, 7, 8, 6, 3, 7, 8], count: 2) == [1, 2])
        #expect(l.draft([1, 2, 3, 4], count: 3) == [])  // nothing repeats
        #expect(l.draft([5, 6, 5, 6], count: 8) == [5, 6])  // cut at the history's end
        #expect(l.draft([5, 6, 5, 6], count: 0) == [])
    }

    @Test func draftLengthFollowsAcceptanceAndCost() {
        var cheap = StepCost()
        cheap.record(lanes: 1, rows: 1, seconds: 0.030)
        cheap.record(lanes: 1, rows: 5, seconds: 0.042)  // 3 ms a row: drafting pays even when half is kept
        var d = DraftLength()
        #expect(d.length(cost: StepCost()) == 2)  // nothing measured yet
        for _ in 0..<10 { d.record(proposed: 4, kept: 4) }
        #expect(d.length(cost: cheap) == DraftLength.longest)
        var dear = StepCost()
        dear.record(lanes: 1, rows: 1, seconds: 0.030)
        dear.record(lanes: 1, rows: 3, seconds: 0.090)  // a row costs a whole step: never pays
        #expect(d.length(cost: dear) == 0)
        var poor = DraftLength()
        for _ in 0..<10 { poor.record(proposed: 4, kept: 0) }
        #expect(poor.length(cost: cheap) == 0)
        // Not drafting lets the estimate drift back, so the lane tries again.
        var tries = 0
        while poor.length(cost: cheap) == 0 && tries < 500 { tries += 1 }
        #expect(tries > 5 && tries < 500)
    }

    @Test func earlyExitNeedsItsLastProbesToAgree() {
        func probes(_ scores: [Double]) -> [Probe] {
            scores.enumerated().map { Probe(sentence: $0 + 1, tokens: $0 * 10, characters: $0 * 40, score: $1, probabilityTrue: $1) }
        }
        let rule = EarlyExit(threshold: 0.9, count: 2)
        #expect(!rule.fires(probes([0.95])))
        #expect(rule.fires(probes([0.2, 0.95, 0.91])))
        #expect(!rule.fires(probes([0.95, 0.5])))
        #expect(rule.fires(probes([0.5, 0.05, 0.1])))  // 0.1 is 1 − 0.9
        #expect(!rule.fires(probes([0.95, 0.05])))  // all high or all low, not mixed
        // Where it stops a chain: the first probe that completes an agreeing run.
        #expect(rule.exit(probes([0.5, 0.95, 0.2, 0.93, 0.97, 0.99]))?.sentence == 5)
        #expect(rule.exit(probes([0.5, 0.95, 0.2])) == nil)
    }

    @Test func aSentenceEndIsSeenWhenTheNextTokenBeginsWithWhitespace() {
        var c = ReasoningChainTests.chain()
        _ = c.append(token: 1, text: "It is 1.5", endsGeneration: false)
        #expect(c.sentenceClose == nil)
        _ = c.append(token: 2, text: " mm long.", endsGeneration: false)
        #expect(c.sentenceClose == nil)  // the sentence ends, but only the next token shows it
        _ = c.append(token: 3, text: " So", endsGeneration: false)
        #expect(c.sentences == 1)
        #expect(c.sentenceClose == PromptProfile.rank1.forcedCloseSuffix(reasoning: "It is 1.5 mm long."))
        _ = c.append(token: 4, text: " yes", endsGeneration: false)
        #expect(c.sentenceClose == nil && c.sentences == 1)
    }
}

/// The engine with drafts and probes against the engine without (SmolLM2 as shipped, one thread: see README,
/// "Drafts, probes and early exit", for why exact equality is asked of one thread).
@Suite(.serialized) struct DraftProbeEngineTests {
    static let engine: LlamaReranker = {
        let config = LlamaConfiguration(libraryPath: RerankFixtures.libraryPath, modelPath: RerankFixtures.model("smollm2"), threads: 1)
        return try! LlamaReranker(configuration: config)
    }()

    func request(parallel: Int = 1) -> RerankRequest {
        var r = RerankRequest(query: "what is a cat", passages: EngineTests.passages)
        r.budget = 40
        r.parallel = parallel
        r.minReasoningTokens = 30  // SmolLM2 would often close at once: it writes a few sentences this way
        return r
    }

    static func judged(_ r: RerankRequest) async -> (verdicts: [Verdict], probes: [Int: [Probe]], stats: JobStats?) {
        let events = await RerankFixtures.events(engine, r)
        var probes: [Int: [Probe]] = [:]
        var stats: JobStats?
        for e in events {
            if case .probe(let p, let probe) = e { probes[p, default: []].append(probe) }
            if case .finished(let s) = e { stats = s }
        }
        return (RerankFixtures.verdicts(events), probes, stats)
    }

    /// What must not change: the chain and the score.
    static func same(_ a: [Verdict], _ b: [Verdict]) -> Bool {
        a.count == b.count
            && zip(a, b).allSatisfy { $0.reasoning == $1.reasoning && $0.score == $1.score && $0.reasoningTokens == $1.reasoningTokens }
    }

    @Test func draftsChangeNothingButTheSteps() async throws {
        let off = await DraftProbeEngineTests.judged(request())
        var r = request()
        r.draft = true
        r.draftTokens = 4
        let on = await DraftProbeEngineTests.judged(r)
        #expect(off.verdicts.count == 4)
        #expect(DraftProbeEngineTests.same(off.verdicts, on.verdicts))
        let s = try #require(on.stats)
        #expect(s.draftedTokens > 0 && s.acceptedDraftTokens > 0, "SmolLM2 repeats itself: drafts must be found and kept")
        #expect(s.thinkingSteps < s.decodeTokens)
        #expect(off.stats?.draftedTokens == 0)
    }

    @Test func probesChangeNothingAndTraceEverySentence() async throws {
        for parallel in [1, 3] {
            let off = await DraftProbeEngineTests.judged(request(parallel: parallel))
            var r = request(parallel: parallel)
            r.probe = true
            let on = await DraftProbeEngineTests.judged(r)
            #expect(DraftProbeEngineTests.same(off.verdicts, on.verdicts))
            #expect(off.probes.isEmpty && off.verdicts.allSatisfy(\.trajectory.isEmpty))
            #expect(!on.probes.isEmpty)
            for v in on.verdicts {
                let events = on.probes[v.passage, default: []]
                #expect(v.trajectory == events)
                #expect(events.map(\.sentence) == Array(0..<events.count).map { $0 + 1 })
                // Each probe's text is a prefix of the chain, at a sentence's end.
                for p in events {
                    let head = String(v.reasoning.prefix(p.characters))
                    #expect(head.hasSuffix(".") || head.hasSuffix("!") || head.hasSuffix("?"))
                    #expect(p.score > 0 && p.score < 1 && p.tokens < v.reasoningTokens)
                }
            }
            #expect(on.stats?.probes == on.probes.values.reduce(0) { $0 + $1.count })
        }
    }

    @Test func earlyExitStopsAtTheProbeThatDecides() async throws {
        var r = request()
        r.probe = true
        let full = await DraftProbeEngineTests.judged(r)
        // A threshold every probe meets on one side: each chain stops at its first probe.
        let rule = EarlyExit(threshold: 0.5000001, count: 1)
        var e = request()
        e.earlyExit = rule
        let early = await DraftProbeEngineTests.judged(e)
        var stopped = 0
        for (a, b) in zip(full.verdicts, early.verdicts) {
            // What eval measures (the rule on the full chain's trajectory) is where the engine stops.
            #expect(rule.exit(a.trajectory) == b.exitPoint)
            guard let first = a.trajectory.first, first.score != 0.5 else { continue }
            stopped += 1
            #expect(b.earlyExit && b.exitPoint == first)
            #expect(b.score == first.score && b.reasoningTokens == first.tokens)
            #expect(b.reasoning == String(a.reasoning.prefix(first.characters)))
        }
        #expect(stopped > 0)
        #expect(early.stats?.earlyExits == stopped)
    }
}
