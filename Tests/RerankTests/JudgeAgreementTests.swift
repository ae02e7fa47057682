import Testing

@testable import Rerank

/// Kendall's τ-b and Cohen's κ of two judges, against values worked by hand (and by scipy.stats.kendalltau and
/// sklearn's cohen_kappa_score, which give the same).
@Suite struct JudgeAgreementTests {
    @Test func tauAndKappaOnHandWorkedCases() throws {
        // Same order, same verdicts: τ 1, κ 1.
        let same = JudgeAgreement([0.9, 0.2, 0.6, 0.1], [0.8, 0.3, 0.7, 0.05])
        #expect(same.both == 4 && same.tau == 1 && same.kappa == 1 && same.sameVerdict == 4)
        // Reversed: τ −1; verdicts 2 true / 2 false each side, all different: κ = (0 − 0.5) / 0.5 = −1.
        let reversed = JudgeAgreement([0.9, 0.7, 0.3, 0.1], [0.1, 0.3, 0.7, 0.9])
        #expect(reversed.tau == -1 && reversed.kappa == -1)
        // A: 1 2 3 4 5, B: 1 3 2 5 4 → 10 pairs, 2 discordant: τ = (8 − 2) / 10 = 0.6.
        // Verdicts A: F F F T T, B: F T F T T → agree 4/5; pA(T) 0.4, pB(T) 0.6; chance 0.24 + 0.24 = 0.48;
        // κ = (0.8 − 0.48) / 0.52 = 0.615…
        let some = JudgeAgreement([0.1, 0.2, 0.3, 0.6, 0.7], [0.1, 0.6, 0.4, 0.9, 0.8])
        #expect(some.tau.map { abs($0 - 0.6) < 1e-12 } == true)
        #expect(some.kappa.map { abs($0 - 0.32 / 0.52) < 1e-12 } == true)
        // Ties: τ-b. A: 1 1 2, B: 1 2 3 → pairs (1,2) tied in A; concordant 2, discordant 0; τ = 2 / √(2 · 3) = 0.816…
        let tied = JudgeAgreement([0.1, 0.1, 0.2], [0.1, 0.2, 0.3])
        #expect(tied.tau.map { abs($0 - 2 / 6.0.squareRoot()) < 1e-12 } == true)
        // Passages one judge did not judge are left out.
        let partial = JudgeAgreement([0.9, nil, 0.2, 0.6], [0.8, 0.5, nil, 0.7])
        #expect(partial.both == 2 && partial.tau == 1)
        // Undefined cases say so.
        #expect(JudgeAgreement([0.9], [0.8]).tau == nil)
        #expect(JudgeAgreement([0.9, 0.8], [0.7, 0.6]).kappa == nil)  // all true on both sides: chance is 1
        #expect(JudgeAgreement([], []).kappa == nil)
    }
}
