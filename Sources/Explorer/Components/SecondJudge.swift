import Rerank

// A second judge beside the first (`--judge A=… --judge B=…`): its judgment of each row, both scores in the list, a
// key that sorts by how far the two disagree, both chains side by side for the selected row, and the agreement
// (Kendall's τ of the two orders, Cohen's κ of the verdicts at 0.5) in the list's header.

/// The second judge's judgment of one row.
public struct SecondJudgment: Equatable, Sendable {
    public var judgment: Judgment = .none
    public var reasoning = ""
    public var direct: DirectVerdict? = nil
    public init() {}
}

/// The two judges' names and whether the list is sorted by their disagreement.
public struct Judges: Equatable, Sendable {
    /// Empty with one judge; else the first's and the second's names.
    public var names: [String] = []
    public var byDisagreement = false
    public var two: Bool { names.count == 2 }
    public init(names: [String] = []) { self.names = names }
}

extension Explorer {
    /// `d`: sort by disagreement, or back to the ranking; with one judge, say how to have two.
    static func toggleDisagreement(_ s: inout ExplorerState) {
        guard s.judges.two else {
            s.status.message = "one judge: --judge A=… --judge B=… judges with two"
            return
        }
        keepSelection(&s, reorders: true) { $0.judges.byDisagreement.toggle() }
    }

    /// An event of the second judge's job.
    static func applySecond(_ s: inout ExplorerState, _ event: RerankEvent) {
        switch event {
        case .started(let p, _):
            guard p < s.results.count else { return }
            s.results[p].second.judgment = .judging
        case .token(let p, let text):
            guard p < s.results.count else { return }
            s.results[p].second.reasoning += text
        case .restarted(let p, let reasoning, _):
            guard p < s.results.count else { return }
            s.results[p].second.reasoning = reasoning
        case .direct(let p, let d):
            guard p < s.results.count else { return }
            s.results[p].second.direct = d
        case .verdict(let v):
            guard v.passage < s.results.count else { return }
            s.results[v.passage].second.judgment = .done(v)
            s.results[v.passage].second.reasoning = v.reasoning
        case .failed(let p, let reason):
            guard p < s.results.count else { return }
            s.results[p].second.judgment = .failed(reason)
        case .probe, .endpoint, .finished: break
        }
    }

    /// The agreement over the rows both judges have given a verdict.
    public static func agreement(_ s: ExplorerState) -> JudgeAgreement {
        JudgeAgreement(s.results.map { $0.judgment.verdict?.score }, s.results.map { $0.second.judgment.verdict?.score })
    }
}

extension ExplorerState {
    /// Rows both judged, most disagreed first (|A − B|), then the rest in their ranking's order.
    var disagreementOrder: [Int] {
        let base = RerankedOrder.of(results.count) { rankScores[$0] }
        func gap(_ i: Int) -> Double? {
            guard let a = results[i].judgment.verdict?.score, let b = results[i].second.judgment.verdict?.score else { return nil }
            return abs(a - b)
        }
        // Stable: the ranking's order among equal gaps.
        let both = base.enumerated().compactMap { i, row in gap(row).map { (row, i, $0) } }.sorted { ($0.2, -$0.1) > ($1.2, -$1.1) }
        return both.map(\.0) + base.filter { gap($0) == nil }
    }
}

extension View {
    /// The second judge's score cell in a row: its verdict, its direct verdict (≈), or its state.
    static func secondScore(_ row: ResultRow, spinner: String) -> (String, Role) {
        switch row.second.judgment {
        case .done(let v): return (String(format: "%.3f ", v.score), v.score >= 0.5 ? .good : .bad)
        case .failed: return (" fail ", .bad)
        case .judging where row.second.direct == nil: return ("  " + spinner + "   ", .accent)
        default:
            if let d = row.second.direct { return (String(format: "≈%.2f ", d.score), d.score >= 0.5 ? .good : .bad) }
            return (row.second.judgment == .queued ? "  ·   " : "  -   ", .dim)
        }
    }

    /// The list header's note on the two judges: their names and, once two rows are judged by both, τ and κ.
    static func judgesNote(_ s: ExplorerState) -> String? {
        guard s.judges.two else { return nil }
        let a = Explorer.agreement(s)
        var note = "\(s.judges.names[0]) | \(s.judges.names[1])"
        if let t = a.tau { note += String(format: " τ %.2f", t) }
        if let k = a.kappa { note += String(format: " κ %.2f", k) }
        if s.judges.byDisagreement { note += " · by disagreement" }
        return note
    }

    /// The second judge's chain for the selected row, beside the first's.
    static func secondReasoning(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        guard let row = s.selectedRow, s.judges.two else { return }
        var right = ""
        switch row.second.judgment {
        case .done(let v): right = String(format: "%@ %.3f · %d tok", v.score >= 0.5 ? "true" : "false", v.score, v.reasoningTokens)
        case .judging: right = "thinking"
        case .queued: right = "queued"
        case .failed(let why): right = "failed: " + why
        case .none: right = ""
        }
        if let d = row.second.direct { right = String(format: "direct %.3f · ", d.score) + right }
        header(&sc, s.judges.names[1], r, focused: false, right: right)
        var text = row.second.reasoning
        if case .failed(let why) = row.second.judgment { text = "failed: \(why)" }
        let lines = TextWidth.wrap(text, columns: r.width - 2)
        // The end of the chain in view (it streams, like the first judge's while followed).
        for (i, l) in lines.suffix(max(0, r.height - 1)).enumerated() {
            sc.put(l.line, x: r.x + 1, y: r.y + 1 + i, maxWidth: r.width - 2)
        }
    }
}
