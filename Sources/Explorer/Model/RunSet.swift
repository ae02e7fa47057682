import Retrieval

/// Run files opened in the explorer (`rank1 --run A [--run B]`): one to step through its queries and rerank its
/// candidates, two to compare them query by query, worst losses of B last.
public struct RunSet: Equatable, Sendable {
    public struct Query: Equatable, Sendable {
        public var id: String
        public var text: String
        public var relevant: [String: Int]
        /// nDCG@10 of each run on this query (nil without judgments).
        public var values: [Double?]
        /// B − A, when two runs are judged on this query.
        public var difference: Double? {
            guard values.count == 2, let a = values[0], let b = values[1] else { return nil }
            return b - a
        }
    }

    public struct Candidate: Equatable, Sendable {
        public var id: String
        public var score: Double
    }

    /// The runs' file names, A first.
    public var names: [String]
    /// Per run: query id → candidates, best first.
    public var rankings: [[String: [Candidate]]]
    /// In the picker's order: the first run's order for one run; for two, by B − A, largest first.
    public var queries: [Query]

    /// `texts`: query id → text; queries without text are left out (they cannot be searched or shown), and so are
    /// queries without judgments when `qrels` are given (as `rank1 compare` counts them).
    public init(runs: [(name: String, run: Run)], texts: [String: String], qrels: Qrels?) {
        names = runs.map(\.name)
        rankings = runs.map { r in
            Dictionary(uniqueKeysWithValues: r.run.queryOrder.map { q in (q, r.run.ranked(q).map { Candidate(id: $0.doc, score: $0.score) }) })
        }
        let evaluations = qrels.map { q in runs.map { Evaluation(run: $0.run, qrels: q) } }
        var order: [String] = []
        var seen = Set<String>()
        for r in runs { for q in r.run.queryOrder where seen.insert(q).inserted { order.append(q) } }
        queries = order.compactMap { id in
            let relevant = qrels?.relevant(id) ?? [:]
            guard let text = texts[id], qrels == nil || !relevant.isEmpty else { return nil }
            // A query a run lacks scores 0 there, as in `rank1 compare`.
            let values: [Double?] =
                evaluations.map { es in es.map { $0.perQuery[id]?.ndcg10 ?? 0 } }
                ?? Array(repeating: nil, count: runs.count)
            return Query(id: id, text: text, relevant: relevant, values: values)
        }
        if runs.count == 2 {
            // By difference, wins first; ties by id, as `rank1 compare` lists them.
            queries.sort { ($0.difference ?? 0) != ($1.difference ?? 0) ? ($0.difference ?? 0) > ($1.difference ?? 0) : $0.id < $1.id }
        }
    }

    /// The first `k` candidates of run `run` for `query`.
    public func candidates(run: Int, query: String, k: Int) -> [Candidate] { Array((rankings[run][query] ?? []).prefix(k)) }
}
