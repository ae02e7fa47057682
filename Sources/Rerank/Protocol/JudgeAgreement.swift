import Foundation

/// How far two judges agree on the same passages: Kendall's τ-b of their scores (the two orders) and Cohen's κ of
/// their verdicts at 0.5, over the passages both judged.
public struct JudgeAgreement: Sendable, Equatable {
    /// Passages both judged.
    public var both: Int
    /// nil with fewer than two passages, or when one judge gives them all one score.
    public var tau: Double?
    /// nil without passages, or when both judges give every passage the same verdict (chance explains it all).
    public var kappa: Double?
    /// Verdicts (at 0.5) the two give alike.
    public var sameVerdict: Int

    /// `a[i]` and `b[i]`: the two judges' scores of passage i (nil: not judged by that one).
    public init(_ a: [Double?], _ b: [Double?]) {
        let pairs = zip(a, b).compactMap { x, y in x.flatMap { x in y.map { (x, $0) } } }
        both = pairs.count
        var concordant = 0
        var discordant = 0
        var tiedA = 0
        var tiedB = 0
        var total = 0
        for i in pairs.indices {
            for j in pairs.indices where j > i {
                let da = pairs[i].0 - pairs[j].0
                let db = pairs[i].1 - pairs[j].1
                total += 1
                if da == 0 { tiedA += 1 }
                if db == 0 { tiedB += 1 }
                if da * db > 0 { concordant += 1 } else if da * db < 0 { discordant += 1 }
            }
        }
        let denominator = (Double(total - tiedA) * Double(total - tiedB)).squareRoot()
        tau = denominator > 0 ? Double(concordant - discordant) / denominator : nil
        let verdicts = pairs.map { ($0.0 >= 0.5, $0.1 >= 0.5) }
        sameVerdict = verdicts.filter { $0.0 == $0.1 }.count
        guard !verdicts.isEmpty else {
            kappa = nil
            return
        }
        let n = Double(verdicts.count)
        let observed = Double(sameVerdict) / n
        let trueA = Double(verdicts.filter(\.0).count) / n
        let trueB = Double(verdicts.filter(\.1).count) / n
        let chance = trueA * trueB + (1 - trueA) * (1 - trueB)
        kappa = chance < 1 ? (observed - chance) / (1 - chance) : nil
    }
}
