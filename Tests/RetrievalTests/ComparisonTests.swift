import Foundation
import Testing

@testable import Retrieval

/// The paired comparison's bookkeeping; its agreement with trec_eval and an independent randomization test is
/// checked by Tests/reference/compare_vs_trec_eval.py.
struct ComparisonTests {
    @Test func winsTiesLossesAndADeterministicPValue() throws {
        var qrels = Qrels()
        var a = Run()
        var b = Run()
        for q in 0..<40 {
            qrels.judgments["q\(q)"] = ["rel\(q)": 1]
            a.add(query: "q\(q)", doc: "x\(q)", score: 2)
            a.add(query: "q\(q)", doc: "rel\(q)", score: 1)
            // B puts the relevant document first on 30 queries, keeps A's order on 10.
            b.add(query: "q\(q)", doc: "x\(q)", score: q < 30 ? 1 : 2)
            b.add(query: "q\(q)", doc: "rel\(q)", score: q < 30 ? 2 : 1)
        }
        let c = Comparison(a: a, b: b, qrels: qrels, permutations: 5000, seed: 3)
        #expect(c.rows.count == 40 && c.wins == 30 && c.ties == 10 && c.losses == 0)
        #expect(abs(c.meanDifference - 30.0 / 40.0 * (1 - 1 / log2(3.0))) < 1e-12)
        #expect(c.pValue < 0.001)  // 30 same-sign differences: no sign flip is as extreme but the observed one
        #expect(c.pValue == Comparison(a: a, b: b, qrels: qrels, permutations: 5000, seed: 3).pValue)
        let same = Comparison(a: a, b: a, qrels: qrels, permutations: 100)
        #expect(same.ties == 40 && same.pValue == 1)
    }
}
