import ArgumentParser
import Foundation
import Rerank
import Retrieval

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two runs query by query: wins, ties and losses, the mean difference and a paired randomization test.")

    @Argument(help: "Run A (the baseline): TREC or the Rank1 reference's JSON form.") var a: String
    @Argument(help: "Run B.") var b: String
    @Option(help: "Qrels: BEIR TSV or TREC qrels.") var qrels: String
    @Option(help: "Measure.") var metric = Comparison.Measure.ndcg10
    @Option(help: "Queries file (queries.jsonl or qid<TAB>text) to show the text of the largest wins and losses.") var queries: String?
    @Option(help: "Random sign flips in the paired randomization test (at least 10,000 is usual).") var permutations = 10_000
    @Option(help: "Seed of the randomization test (the same seed, the same p-value).") var seed: UInt64 = 1
    @Option(help: "How many of the largest wins and losses to list.") var top = 5
    @Flag(help: "JSON output, with every query's values.") var json = false

    func validate() throws {
        guard permutations >= 1 else { throw ValidationError("--permutations must be at least 1") }
        guard top >= 0 else { throw ValidationError("--top must be at least 0") }
    }

    func run() throws {
        let (q, ra, rb) = try reportingErrors { (try Qrels(path: qrels), try Run(path: a), try Run(path: b)) }
        try reportingErrors {
            try requireSharedQueries((a, ra.queryOrder), (qrels, Array(q.judgments.keys)))
            try requireSharedQueries((b, rb.queryOrder), (qrels, Array(q.judgments.keys)))
        }
        let text =
            try reportingErrors { try queries.map { Dictionary(try readQueries($0).map { ($0.id, $0.text) }, uniquingKeysWith: { x, _ in x }) } }
            ?? [:]
        let c = Comparison(a: ra, b: rb, qrels: q, measure: metric, permutations: permutations, seed: seed)
        let byDifference = c.rows.sorted { $0.difference != $1.difference ? $0.difference > $1.difference : $0.query < $1.query }
        let wins = byDifference.filter { $0.difference > 1e-12 }.prefix(top)
        let losses = byDifference.reversed().filter { $0.difference < -1e-12 }.prefix(top)
        if json {
            struct Row: Encodable { let query: String, a: Double, b: Double, difference: Double, text: String? }
            struct Output: Encodable {
                let metric: String, a: String, b: String, queries: Int, meanA: Double, meanB: Double, meanDifference: Double
                let wins: Int, ties: Int, losses: Int, pValue: Double, permutations: Int, seed: UInt64, perQuery: [Row]
            }
            let rows = c.rows.map { Row(query: $0.query, a: $0.a, b: $0.b, difference: $0.difference, text: text[$0.query]) }
            print(
                EventJSON.line(
                    Output(
                        metric: metric.rawValue, a: a, b: b, queries: c.rows.count, meanA: c.meanA, meanB: c.meanB,
                        meanDifference: c.meanDifference, wins: c.wins, ties: c.ties, losses: c.losses, pValue: c.pValue,
                        permutations: permutations, seed: seed, perQuery: rows)))
            return
        }
        print(String(format: "%@ over %d judged queries: A %.4f (%@), B %.4f (%@)", metric.rawValue, c.rows.count, c.meanA, a, c.meanB, b))
        print(String(format: "B against A: %d wins, %d ties, %d losses; mean difference %+.4f", c.wins, c.ties, c.losses, c.meanDifference))
        print(String(format: "paired randomization test (%d sign flips, seed %llu): p = %.4f (two-sided)", permutations, seed, c.pValue))
        for (title, rows) in [("largest wins of B", Array(wins)), ("largest losses of B", Array(losses))] where !rows.isEmpty {
            print("\n\(title):")
            for r in rows {
                print(String(format: "  %+.4f  %@  A %.4f → B %.4f  %@", r.difference, r.query, r.a, r.b, String((text[r.query] ?? "").prefix(70))))
            }
        }
    }
}
