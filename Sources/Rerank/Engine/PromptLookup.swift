/// Prompt-lookup drafting: Rank1 chains quote the query and the passage, so the tokens that followed the
/// chain's last few tokens where they occurred before (in the prompt or earlier in the chain) are a cheap
/// guess at what comes next. The guess is only a proposal: the engine keeps what greedy decoding confirms.
public struct PromptLookup: Sendable {
    /// The longest and shortest n-grams tried; longer matches are tried first (they guess better).
    public var longest = 3
    public var shortest = 2

    public init(longest: Int = 3, shortest: Int = 2) {
        self.longest = longest
        self.shortest = shortest
    }

    /// Up to `count` tokens that followed the most recent earlier occurrence of `history`'s last n tokens
    /// (n from `longest` down to `shortest`); empty when none occurred before.
    public func draft(_ history: [Int32], count: Int) -> [Int32] {
        guard count > 0 else { return [] }
        let end = history.count
        for n in stride(from: min(longest, end - 1), through: max(shortest, 1), by: -1) {
            let tail = end - n
            // The most recent match first: a chain that repeats itself or keeps quoting one place is
            // continued from there.
            var i = tail - 1
            while i >= 0 {
                var k = 0
                while k < n && history[i + k] == history[tail + k] { k += 1 }
                if k == n {
                    let from = i + n
                    return Array(history[from..<min(from + count, end)])
                }
                i -= 1
            }
        }
        return []
    }
}

/// What a decode step costs on this machine, measured as the job runs: the time of a step with one row per lane
/// and the time each further row adds. Drafted rows are only worth their cost when enough of them are kept.
public struct StepCost: Sendable, Equatable {
    /// Seconds of a step with one row per thinking lane, per lane; seconds each drafted row adds.
    public private(set) var perLane: Double?
    public private(set) var perRow: Double?

    public init() {}

    /// A pure thinking step: `lanes` lanes, `rows` rows in all, `seconds` long.
    public mutating func record(lanes: Int, rows: Int, seconds: Double) {
        guard lanes > 0 else { return }
        if rows == lanes {
            let s = seconds / Double(lanes)
            perLane = perLane.map { $0 * 0.9 + s * 0.1 } ?? s
        } else if let base = perLane {
            let extra = max(0, seconds - base * Double(lanes)) / Double(rows - lanes)
            perRow = perRow.map { $0 * 0.9 + extra * 0.1 } ?? extra
        }
    }
}

/// How many tokens a lane drafts next: the length that maximises the lane's expected tokens per second, from
/// its recent acceptance and the measured step costs. Zero where drafting does not pay; the acceptance
/// estimate drifts back toward even odds while the lane does not draft, so drafting is tried again later.
public struct DraftLength: Sendable {
    /// A lane alone drafts at most 6: a step of up to 7 rows keeps the step's fixed cost dominant on a CPU.
    public static let longest = 6
    /// Decayed counts of drafted tokens kept and of drafts cut short (each ends at its first wrong token).
    private var kept = 1.0
    private var cut = 1.0

    public init() {}

    /// The chance that a drafted token is kept, given the ones before it were.
    public var acceptance: Double { kept / (kept + cut) }

    /// The length to draft now: argmax over k of (1 + expected kept) / (lane's step share + k × row cost).
    /// Before the first costs are measured, 2 tokens.
    public mutating func length(cost: StepCost) -> Int {
        guard let lane = cost.perLane, let row = cost.perRow else { return 2 }
        let a = acceptance
        var best = 0
        var bestRate = 1 / lane
        var expected = 0.0
        var p = 1.0
        for k in 1...DraftLength.longest {
            p *= a
            expected += p
            let rate = (1 + expected) / (lane + Double(k) * row)
            if rate > bestRate {
                best = k
                bestRate = rate
            }
        }
        if best == 0 {
            // Not drafting: let the estimate drift toward even odds, so the lane tries again later.
            kept = kept * 0.97 + 0.03
            cut = cut * 0.97 + 0.03
        }
        return best
    }

    /// A verified draft: `proposed` tokens were fed, the first `kept` matched greedy decoding.
    public mutating func record(proposed: Int, kept k: Int) {
        guard proposed > 0 else { return }
        kept = kept * 0.9 + Double(k)
        cut = cut * 0.9 + (k < proposed ? 1 : 0)
    }
}
