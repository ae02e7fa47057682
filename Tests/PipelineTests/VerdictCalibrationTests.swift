import Retrieval
import Testing

@testable import Pipeline
@testable import Rerank

/// Where a verdict turned, and verdicts at 0.5 against the qrels.
@Suite struct VerdictCalibrationTests {
    func verdict(_ scores: [Double], final: Double, direct: Double?, earlyExit: Bool = false) -> Verdict {
        var v = Verdict(
            passage: 0, score: final, probabilityTrue: 0, reasoning: String(repeating: "Word. ", count: scores.count + 1),
            reasoningTokens: 40, forcedClose: false, rethinks: 0, truncatedPassage: false, promptTokens: 10, seconds: 1)
        v.trajectory = scores.enumerated().map { i, s in
            Probe(sentence: i + 1, tokens: 5 * (i + 1), characters: 6 * (i + 1), score: s, probabilityTrue: 0)
        }
        v.direct = direct.map { DirectVerdict(score: $0, probabilityTrue: 0) }
        v.earlyExit = earlyExit
        return v
    }

    @Test func theTurnIsTheLargestMoveFromTheDirectVerdictOn() throws {
        // 0.40 → 0.45 → 0.80 → 0.75, verdict 0.70: the move into sentence 2.
        let t = try #require(TurningPoint.of(verdict([0.45, 0.80, 0.75], final: 0.70, direct: 0.40)))
        #expect(t.sentence == 2 && t.tokens == 10 && t.characters == 12 && t.from == 0.45 && t.to == 0.80 && t.crossed)
        // Without a direct verdict the first probe is the start: 0.45 → 0.80 still.
        #expect(TurningPoint.of(verdict([0.45, 0.80, 0.75], final: 0.70, direct: nil))?.sentence == 2)
        // The largest move may be the first sentence's, from the direct verdict.
        #expect(TurningPoint.of(verdict([0.10, 0.12], final: 0.15, direct: 0.90))?.sentence == 1)
        // Or the part after the last probe, up to the verdict: no sentence.
        let last = try #require(TurningPoint.of(verdict([0.50, 0.52], final: 0.05, direct: 0.49)))
        #expect(last.sentence == nil && last.from == 0.52 && last.to == 0.05 && last.tokens == 40)
        // An early exit's verdict is its last probe: nothing after it.
        #expect(TurningPoint.of(verdict([0.50, 0.90], final: 0.90, direct: 0.49, earlyExit: true))?.sentence == 2)
        // Without probes there is one move only: no turning point.
        #expect(TurningPoint.of(verdict([], final: 0.9, direct: 0.1)) == nil)
    }

    @Test func ratesAndFlipsAgainstTheQrels() {
        var qrels = Qrels()
        qrels.judgments = ["q1": ["a": 1, "b": 0, "c": 2], "q2": ["d": 1]]
        let pairs: [VerdictCalibration.Pair] = [
            .init(query: "q1", doc: "a", direct: 0.3, reasoned: 0.8),  // relevant, flipped toward the qrels
            .init(query: "q1", doc: "b", direct: 0.2, reasoned: 0.7),  // judged 0, flipped away
            .init(query: "q1", doc: "c", direct: 0.6, reasoned: 0.9),  // relevant, both right
            .init(query: "q1", doc: "x", direct: 0.7, reasoned: 0.4),  // not in the qrels: not relevant; flipped toward
            .init(query: "q2", doc: "d", direct: nil, reasoned: 0.2),  // relevant, no direct verdict
        ]
        let c = VerdictCalibration(pairs, qrels: qrels)
        #expect(c.reasoned == .init(relevant: 3, notRelevant: 2, truePositives: 2, trueNegatives: 1))
        #expect(c.direct == .init(relevant: 2, notRelevant: 2, truePositives: 1, trueNegatives: 1))
        #expect(c.reasonedWhereDirect == .init(relevant: 2, notRelevant: 2, truePositives: 2, trueNegatives: 1))
        #expect(c.flips == 3 && c.flipsTowardQrels == 2)
        #expect(c.direct.truePositiveRate == 0.5 && c.reasonedWhereDirect.trueNegativeRate == 0.5)
        #expect(VerdictCalibration([], qrels: qrels).reasoned.truePositiveRate == nil)
    }
}
