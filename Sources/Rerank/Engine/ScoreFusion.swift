/// Optional interpolation of Rank1 scores with BM25, for small non-Rank1 models whose verdicts alone are
/// weak. BM25 scores are min-max normalised over the judged candidates (so both lie in [0, 1]); the fused
/// score is `weight · rank1 + (1 − weight) · bm25`. Never applied to the `rank1` profile, and always shown
/// labelled as fused.
public struct ScoreFusion: Sendable, Equatable {
    /// The Rank1 score's share, in [0, 1]; 1 is no fusion.
    public var weight: Double

    public init(weight: Double) { self.weight = min(max(weight, 0), 1) }

    public var label: String { String(format: "fused %.2f·Rank1 + %.2f·BM25", weight, 1 - weight) }

    /// Fused scores for candidates with these BM25 scores; a candidate without a verdict (nil) keeps its
    /// BM25 share only, so it still sorts among the others.
    public func fuse(bm25: [Double], rank1: [Double?]) -> [Double] {
        precondition(bm25.count == rank1.count, "one BM25 score per candidate")
        guard let lo = bm25.min(), let hi = bm25.max() else { return [] }
        let span = hi - lo
        return zip(bm25, rank1).map { b, r in
            let nb = span > 0 ? (b - lo) / span : 1
            return weight * (r ?? 0) + (1 - weight) * nb
        }
    }
}

/// The order of reranked candidates, shared by every place that shows or writes one: highest score first,
/// candidates without a score after those with one, BM25 order (the index) among equals.
public enum RerankedOrder {
    public static func of(_ count: Int, score: (Int) -> Double?) -> [Int] {
        let key = (0..<count).map { score($0) ?? -.infinity }
        return (0..<count).sorted { a, b in key[a] != key[b] ? key[a] > key[b] : a < b }
    }
}
