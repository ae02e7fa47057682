import Foundation
import Retrieval
import Testing

@testable import Explorer

/// Run files in the explorer: one run's queries stepped through with its candidates as the result list; two runs'
/// queries sorted by the difference in nDCG@10, and a query's two rankings side by side.
@Suite struct RunViewTests {
    static let texts = ["q1": "terminal file manager", "q2": "image viewer", "q3": "text editor", "q9": "no judgments here"]

    static func qrels() -> Qrels {
        var q = Qrels()
        q.judgments = ["q1": ["mc": 2, "nnn": 1], "q2": ["feh": 1], "q3": ["vim": 1]]
        return q
    }

    static func run(_ lists: [(String, [String])]) -> Run {
        var r = Run()
        for (q, docs) in lists { for (i, d) in docs.enumerated() { r.add(query: q, doc: d, score: Double(100 - i)) } }
        return r
    }

    /// A: mc 2nd for q1, feh 1st for q2, vim absent for q3. B: mc 1st for q1 (a win), feh 3rd for q2 (a loss),
    /// vim 1st for q3 (the largest win).
    static let a = run([("q1", ["ytree", "mc", "ranger", "nnn"]), ("q2", ["feh", "gimp", "eog"]), ("q3", ["nano", "emacs"]), ("q9", ["x"])])
    static let b = run([("q1", ["mc", "ytree", "nnn", "ranger"]), ("q2", ["gimp", "eog", "feh"]), ("q3", ["vim", "nano"])])

    static func state(_ runs: [(name: String, run: Run)]) -> ExplorerState {
        var s = Fixture.start()
        s.picker.runs = RunSet(runs: runs, texts: texts, qrels: qrels())
        s.mode = .pickingRunQuery
        return s
    }

    @Test func oneRunIsSteppedThroughWithItsCandidatesAsTheResults() throws {
        var s = RunViewTests.state([("bm25.trec", RunViewTests.a)])
        #expect(s.picker.runs!.queries.map(\.id) == ["q1", "q2", "q3"])  // the run's order; q9 has no judgments
        #expect(
            RunSet(runs: [("bm25.trec", RunViewTests.a)], texts: RunViewTests.texts, qrels: nil).queries.map(\.values) == [
                [nil], [nil], [nil], [nil],
            ])
        try SnapshotTests().check(s, "run-picker")
        let effects = Explorer.update(&s, .key(.enter))
        guard case .candidates(let query, let cands)? = effects.first else {
            Issue.record("Enter: \(effects)")
            return
        }
        #expect(query == "terminal file manager" && cands.map(\.id) == ["ytree", "mc", "ranger", "nnn"] && cands.map(\.score) == [100, 99, 98, 97])
        #expect(s.mode == .browse && s.picker.current?.id == "q1")
        _ = Explorer.update(&s, .searched(query: query, rows: Fixture.rows(), milliseconds: 0.1, run: "bm25.trec"))  // as the app answers
        #expect(s.queryBar.firstStage == "bm25.trec" && s.results.filter { ($0.relevant ?? 0) > 0 }.map(\.id) == ["mc", "nnn"])
        // More/fewer changes K without replacing the run's candidates by a BM25 search.
        #expect(Explorer.update(&s, .key(.char("+"))) == [])
        // ] and [ step through the run's queries, and stop at its ends.
        guard case .candidates(let q2, _)? = Explorer.update(&s, .key(.char("]"))).first else {
            Issue.record("]")
            return
        }
        #expect(q2 == "image viewer" && s.picker.runQuery == 1)
        _ = Explorer.update(&s, .key(.char("[")))
        _ = Explorer.update(&s, .key(.char("[")))
        #expect(s.picker.runQuery == 0)
        // A query typed by hand is a BM25 search again.
        _ = Explorer.update(&s, .searched(query: "something else", rows: Fixture.rows(), milliseconds: 0.1))
        #expect(s.queryBar.firstStage == "BM25" && s.picker.current == nil)
        // Q reopens the run's list.
        _ = Explorer.update(&s, .key(.char("Q")))
        #expect(s.mode == .pickingRunQuery)
    }

    @Test func twoRunsAreSortedByDifferenceAndShownSideBySide() throws {
        var s = RunViewTests.state([("bm25.trec", RunViewTests.a), ("rank1.trec", RunViewTests.b)])
        let qs = s.picker.runs!.queries
        // nDCG@10 per query as Evaluation computes it, the largest win first; q9 (no judgments) left out.
        let ea = Evaluation(run: RunViewTests.a, qrels: RunViewTests.qrels())
        let eb = Evaluation(run: RunViewTests.b, qrels: RunViewTests.qrels())
        #expect(qs.map(\.id) == ["q3", "q1", "q2"])
        #expect(qs[0].values == [0, eb.perQuery["q3"]!.ndcg10] && qs[1].values == [ea.perQuery["q1"]!.ndcg10, eb.perQuery["q1"]!.ndcg10])
        #expect(qs[0].difference! > qs[1].difference! && qs[1].difference! > 0 && qs[2].difference! < 0)
        try SnapshotTests().check(s, "run-compare-list")
        _ = Explorer.update(&s, .key(.down))
        let effects = Explorer.update(&s, .key(.enter))
        #expect(effects == [.sideBySide(query: "q1", ids: [["ytree", "mc", "ranger", "nnn"], ["mc", "ytree", "nnn", "ranger"]])])
        #expect(s.mode == .sideBySide)
        func rows(_ ids: [String]) -> [ResultRow] {
            ids.enumerated().map { n, id in
                ResultRow(id: id, title: Fixture.passages.first { $0.0 == id }?.1 ?? "", text: "", bm25Score: 0, bm25Rank: n)
            }
        }
        // An answer for another query (stale) is ignored; the right one is marked with the judgments.
        _ = Explorer.update(&s, .sideBySide(query: "q2", columns: [rows(["feh"]), rows(["gimp"])]))
        #expect(s.picker.sideBySide.isEmpty)
        _ = Explorer.update(
            &s, .sideBySide(query: "q1", columns: [rows(["ytree", "mc", "ranger", "nnn"]), rows(["mc", "ytree", "nnn", "ranger"])]))
        #expect(s.picker.sideBySide[1].map { $0.relevant ?? 0 } == [2, 0, 1, 0])
        try SnapshotTests().check(s, "run-side-by-side")
        // ] opens the next query in the list (by difference), Esc goes back to the list.
        #expect(Explorer.update(&s, .key(.char("]"))) == [.sideBySide(query: "q2", ids: [["feh", "gimp", "eog"], ["gimp", "eog", "feh"]])])
        _ = Explorer.update(&s, .key(.escape))
        #expect(s.mode == .pickingRunQuery && s.picker.selection == 2)
        _ = Explorer.update(&s, .key(.escape))
        #expect(s.mode == .sideBySide)
    }

    @Test func stepKeysWalkACollectionToo() {
        var s = Fixture.start()
        s.picker.collection = [
            CollectionQuery(id: "q1", text: "terminal file manager", relevant: ["mc": 2]),
            CollectionQuery(id: "q2", text: "image viewer", relevant: ["feh": 1]),
        ]
        #expect(Explorer.update(&s, .key(.char("]"))) == [.search(query: "terminal file manager", k: 5)])
        #expect(Explorer.update(&s, .key(.char("]"))) == [.search(query: "image viewer", k: 5)])
        #expect(Explorer.update(&s, .key(.char("]"))) == [.search(query: "image viewer", k: 5)])  // the last stays
        var bare = Fixture.start()
        #expect(Explorer.update(&bare, .key(.char("]"))) == [] && bare.status.message?.contains("--run") == true)
    }
}
