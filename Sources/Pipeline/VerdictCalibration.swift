import Retrieval

/// Verdicts at 0.5 against the qrels: how often the direct verdicts (no reasoning) and the reasoned ones call a
/// relevant pair relevant (true-positive rate) and a non-relevant pair not relevant (true-negative rate), and of the
/// verdicts the reasoning moved across 0.5, how many moved toward the qrels. The question of "Rethinking Reasoning in
/// Document Ranking" (arXiv 2510.08985): does reasoning push verdicts toward "relevant"? A pair the qrels do not
/// judge counts as not relevant, as nDCG counts it.
public struct VerdictCalibration: Sendable, Equatable {
    /// Counts over one set of pairs: relevant and not, and those called so at 0.5.
    public struct Rates: Sendable, Equatable {
        public var relevant = 0
        public var notRelevant = 0
        public var truePositives = 0
        public var trueNegatives = 0
        public var truePositiveRate: Double? { relevant == 0 ? nil : Double(truePositives) / Double(relevant) }
        public var trueNegativeRate: Double? { notRelevant == 0 ? nil : Double(trueNegatives) / Double(notRelevant) }

        mutating func add(_ score: Double, relevant isRelevant: Bool) {
            if isRelevant {
                relevant += 1
                if score >= 0.5 { truePositives += 1 }
            } else {
                notRelevant += 1
                if score < 0.5 { trueNegatives += 1 }
            }
        }
    }

    /// Over the pairs with a direct verdict: the direct verdicts and the reasoned ones of the same pairs.
    public var direct = Rates()
    public var reasonedWhereDirect = Rates()
    /// Over every judged pair.
    public var reasoned = Rates()
    public var flips = 0
    public var flipsTowardQrels = 0

    public struct Pair: Sendable, Equatable {
        public var query: String, doc: String, direct: Double?, reasoned: Double
        public init(query: String, doc: String, direct: Double?, reasoned: Double) {
            self.query = query
            self.doc = doc
            self.direct = direct
            self.reasoned = reasoned
        }
    }

    public init(_ pairs: [Pair], qrels: Qrels) {
        for p in pairs {
            let relevant = (qrels.judgments[p.query]?[p.doc] ?? 0) > 0
            reasoned.add(p.reasoned, relevant: relevant)
            guard let d = p.direct else { continue }
            direct.add(d, relevant: relevant)
            reasonedWhereDirect.add(p.reasoned, relevant: relevant)
            if (d >= 0.5) != (p.reasoned >= 0.5) {
                flips += 1
                if (p.reasoned >= 0.5) == relevant { flipsTowardQrels += 1 }
            }
        }
    }
}
