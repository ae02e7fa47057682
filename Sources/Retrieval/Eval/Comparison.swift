/// Two runs compared query by query on one measure, with a paired randomization test: under the null hypothesis
/// that A and B are exchangeable, each query's difference is as likely to have either sign, so the observed mean
/// difference is set against the mean differences of random sign flips (Smucker, Allan & Carterette 2007).
public struct Comparison: Sendable {
    public enum Measure: String, CaseIterable, Sendable {
        case ndcg10 = "ndcg@10"
        case recall100 = "recall@100"
        case mrr10 = "mrr@10"
        case map
        func of(_ q: Evaluation.PerQuery) -> Double {
            switch self {
            case .ndcg10: return q.ndcg10
            case .recall100: return q.recall100
            case .mrr10: return q.mrr10
            case .map: return q.averagePrecision
            }
        }
    }

    public struct Row: Sendable {
        public var query: String
        public var a: Double
        public var b: Double
        public var difference: Double { b - a }
    }

    public let measure: Measure
    /// Every judged query in either run (a query a run lacks scores 0 there, as trec_eval -c counts it), by id.
    public let rows: [Row]
    public let permutations: Int
    public let seed: UInt64
    /// Two-sided p-value: (flips whose |mean difference| ≥ the observed one, + 1) / (permutations + 1).
    public let pValue: Double

    public var wins: Int { rows.filter { $0.difference > 1e-12 }.count }
    public var losses: Int { rows.filter { $0.difference < -1e-12 }.count }
    public var ties: Int { rows.count - wins - losses }
    public var meanA: Double { rows.isEmpty ? 0 : rows.map(\.a).reduce(0, +) / Double(rows.count) }
    public var meanB: Double { rows.isEmpty ? 0 : rows.map(\.b).reduce(0, +) / Double(rows.count) }
    public var meanDifference: Double { meanB - meanA }

    public init(a: Run, b: Run, qrels: Qrels, measure: Measure = .ndcg10, permutations: Int = 10_000, seed: UInt64 = 1) {
        let ea = Evaluation(run: a, qrels: qrels)
        let eb = Evaluation(run: b, qrels: qrels)
        let queries = Set(ea.perQuery.keys).union(eb.perQuery.keys).sorted()
        rows = queries.map { q in Row(query: q, a: ea.perQuery[q].map(measure.of) ?? 0, b: eb.perQuery[q].map(measure.of) ?? 0) }
        self.measure = measure
        self.permutations = permutations
        self.seed = seed
        pValue = Comparison.randomizationTest(rows.map(\.difference), permutations: permutations, seed: seed)
    }

    static func randomizationTest(_ d: [Double], permutations: Int, seed: UInt64) -> Double {
        guard !d.isEmpty, permutations > 0 else { return 1 }
        let observed = abs(d.reduce(0, +))
        var rng = SplitMix64(seed: seed)
        var atLeast = 0
        for _ in 0..<permutations {
            var sum = 0.0
            var bits: UInt64 = 0
            for (i, x) in d.enumerated() {
                if i % 64 == 0 { bits = rng.next() }
                sum += bits & 1 == 0 ? x : -x
                bits >>= 1
            }
            // A flip as extreme as the observed (up to rounding) counts, as the observed assignment itself does.
            if abs(sum) >= observed - 1e-12 { atLeast += 1 }
        }
        return Double(atLeast + 1) / Double(permutations + 1)
    }
}

/// A small, fast, seedable generator (Steele, Lea & Flood's SplitMix64): the same seed, the same p-value.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
