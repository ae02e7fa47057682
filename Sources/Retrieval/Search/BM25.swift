/// Lucene's BM25Similarity (Lucene 9), float for float: idf = ln(1 + (N − n + 0.5)/(n + 0.5)) computed
/// in double and rounded to float; the length part comes from a 256-entry cache over the one-byte
/// length norms; a term's score is `w − w / (1 + tf · cache[norm])` with w = boost · idf, all in float.
public struct BM25: Sendable, Equatable {
    public var k1: Float
    public var b: Float

    public init(k1: Float = 0.9, b: Float = 0.4) {
        self.k1 = k1
        self.b = b
    }

    public static func idf(docFreq: Int, docCount: Int) -> Float {
        Float(log(1 + (Double(docCount - docFreq) + 0.5) / (Double(docFreq) + 0.5)))
    }

    public static func averageLength(totalTokens: UInt64, docCount: Int) -> Float {
        docCount == 0 ? 1 : Float(Double(totalTokens) / Double(docCount))
    }

    /// 1 / (k1 · ((1 − b) + b · dl / avgdl)) for every norm byte.
    public func normCache(averageLength avgdl: Float) -> [Float] {
        (0..<256).map { i in
            let dl = Float(LengthNorm.table[i])
            return 1 / (k1 * ((1 - b) + b * dl / avgdl))
        }
    }

    @inline(__always)
    public static func score(weight: Float, tf: UInt32, normInverse: Float) -> Float {
        weight - weight / (1 + Float(tf) * normInverse)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
