/// Where a chain's verdict turned: of the moves between consecutive scores along the chain (the direct verdict, the
/// score after each sentence, the final verdict), the largest. Needs probes: without them there is one move only.
public struct TurningPoint: Sendable, Equatable {
    /// The sentence after which the score stood at `to` (1-based, as the probes count), or nil for the part after the
    /// last probe, up to the verdict.
    public var sentence: Int?
    /// Reasoning tokens and characters (as streamed) at that point; for the last part, the whole chain's.
    public var tokens: Int
    public var characters: Int
    public var from: Double
    public var to: Double
    public var move: Double { to - from }
    /// The move crossed 0.5.
    public var crossed: Bool { (from >= 0.5) != (to >= 0.5) }

    /// nil without probes. The start is the direct verdict when there is one, else the first probe.
    public static func of(_ v: Verdict) -> TurningPoint? {
        // An early exit's verdict is its last probe: no part after it.
        of(v.trajectory, direct: v.direct?.score, final: v.earlyExit ? nil : (v.reasoningTokens, v.reasoning.count, v.score))
    }

    /// `final`: the verdict after the last probe (tokens, characters, score), nil when the last probe is the verdict.
    public static func of(_ trajectory: [Probe], direct: Double?, final: (tokens: Int, characters: Int, score: Double)?) -> TurningPoint? {
        guard !trajectory.isEmpty else { return nil }
        var points: [(sentence: Int?, tokens: Int, characters: Int, score: Double)] = trajectory.map {
            ($0.sentence, $0.tokens, $0.characters, $0.score)
        }
        if let final { points.append((nil, final.tokens, final.characters, final.score)) }
        var from = direct ?? points.removeFirst().score
        var best: TurningPoint?
        for p in points {
            let turn = TurningPoint(sentence: p.sentence, tokens: p.tokens, characters: p.characters, from: from, to: p.score)
            if best.map({ abs(turn.move) > abs($0.move) }) ?? true { best = turn }
            from = p.score
        }
        return best
    }
}
