/// The measures of `rank1 eval`, computed as trec_eval computes them: a query's hits are ordered by
/// score (descending), ties by document id descending (trec_eval ignores the rank column); queries in
/// the run without judgments are ignored; the mean is over judged queries that appear in the run.
public struct Evaluation: Sendable {
    public struct PerQuery: Sendable {
        public var ndcg10: Double
        public var recall100: Double
        public var mrr10: Double
        public var averagePrecision: Double
    }
    public var perQuery: [String: PerQuery]

    public var queries: Int { perQuery.count }
    private func mean(_ f: (PerQuery) -> Double) -> Double {
        perQuery.isEmpty ? 0 : perQuery.values.map(f).reduce(0, +) / Double(perQuery.count)
    }
    public var ndcg10: Double { mean(\.ndcg10) }
    public var recall100: Double { mean(\.recall100) }
    public var mrr10: Double { mean(\.mrr10) }
    public var map: Double { mean(\.averagePrecision) }

    public init(run: Run, qrels: Qrels) {
        var out: [String: PerQuery] = [:]
        for (q, hits) in run.results {
            let rel = qrels.relevant(q)
            if rel.isEmpty { continue }
            out[q] = Evaluation.evaluate(hits: hits, relevant: rel)
        }
        perQuery = out
    }

    static func evaluate(hits: [(doc: String, score: Double)], relevant rel: [String: Int]) -> PerQuery {
        let ranked = hits.sorted { a, b in a.score != b.score ? a.score > b.score : a.doc > b.doc }
        let totalRelevant = rel.values.filter { $0 > 0 }.count
        var dcg = 0.0
        var found100 = 0
        var rr = 0.0
        var apSum = 0.0
        var foundAll = 0
        for (i, h) in ranked.enumerated() {
            let g = rel[h.doc] ?? 0
            if i < 10, g > 0 { dcg += Double(g) / log2(Double(i + 2)) }
            if g > 0 {
                foundAll += 1
                apSum += Double(foundAll) / Double(i + 1)
                if i < 100 { found100 += 1 }
                if i < 10, rr == 0 { rr = 1 / Double(i + 1) }
            }
        }
        let ideal = rel.values.filter { $0 > 0 }.sorted(by: >)
        var idcg = 0.0
        for (i, g) in ideal.prefix(10).enumerated() { idcg += Double(g) / log2(Double(i + 2)) }
        return PerQuery(
            ndcg10: idcg > 0 ? dcg / idcg : 0,
            recall100: totalRelevant > 0 ? Double(found100) / Double(totalRelevant) : 0,
            mrr10: rr,
            averagePrecision: totalRelevant > 0 ? apSum / Double(totalRelevant) : 0)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
