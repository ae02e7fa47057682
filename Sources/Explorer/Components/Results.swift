import Foundation
import Rerank

// The result list: rerank jobs and their events, the selection kept while rows move, the list's view.

/// Rerank jobs: starting one, applying the engine's events, keeping the selection while rows move.
extension Explorer {
    static func startRerank(_ s: inout ExplorerState) -> [Effect] {
        guard s.rerankAvailable else {
            s.status.message = "reranking is off: \(s.backend)"
            s.status.isError = true
            return []
        }
        guard !s.results.isEmpty else {
            s.status.message = "nothing to rerank: type a query first (/)"
            return []
        }
        s.generation += 1
        let top = Array(s.results.indices.prefix(s.k))
        for i in s.results.indices {
            // The rows are the same passages as the last job's (a new search makes new rows): a verdict of the
            // previous instruction stays on screen, marked stale, until this job scores the row.
            s.results[i].stale = s.results[i].judgment.verdict ?? s.results[i].stale
            s.results[i].judgment = top.contains(i) ? .queued : .none
            s.results[i].direct = nil
            s.results[i].reasoning = ""
            s.results[i].trajectory = []
            s.results[i].second = SecondJudgment()
            if top.contains(i) && s.judges.two { s.results[i].second.judgment = .queued }
        }
        s.job = JobProgress(generation: s.generation, total: top.count, startedAt: s.now)
        s.comparison.tau = nil
        s.selected = 0
        s.details.step = 0
        s.details.follow = true
        let passages = top.map { Passage(id: s.results[$0].id, title: s.results[$0].title, text: s.results[$0].text) }
        return [
            .rerank(
                generation: s.generation, query: s.queryBar.searched, instruction: s.editor.instruction.isEmpty ? nil : s.editor.instruction,
                passages: passages)
        ]
    }

    static func applyEngine(_ s: inout ExplorerState, _ event: RerankEvent) {
        switch event {
        case .started(let p, let truncated):
            guard p < s.results.count else { return }
            s.results[p].judgment = .judging
            s.results[p].truncated = truncated
        case .token(let p, let text):
            guard p < s.results.count else { return }
            s.results[p].reasoning += text
            s.job?.tokens += 1
        case .restarted(let p, let reasoning, let reason):
            guard p < s.results.count else { return }
            s.results[p].reasoning = reasoning
            // Said while it happens: a stalled or failing server is visible, not a row that just waits.
            s.status.message = "\(s.results[p].title.isEmpty ? s.results[p].id : s.results[p].title): \(reason)"
            s.status.isError = false
        case .probe(let p, let probe):
            guard p < s.results.count else { return }
            s.results[p].trajectory.append(probe)
        case .direct(let p, let d):
            guard p < s.results.count else { return }
            s.results[p].direct = d
            s.results[p].stale = nil
        case .verdict(let v):
            guard v.passage < s.results.count else { return }
            s.results[v.passage].judgment = .done(v)
            s.results[v.passage].stale = nil
            if let d = v.direct { s.results[v.passage].direct = d }
            s.results[v.passage].reasoning = v.reasoning
            s.results[v.passage].trajectory = v.trajectory
            s.job?.judged += 1
        case .failed(let p, let reason):
            guard p < s.results.count else { return }
            s.results[p].judgment = .failed(reason)
            s.job?.judged += 1
        case .endpoint(let name, let up, let reason):
            s.status.message = RerankEvent.endpointChange(name, up: up, reason: reason)
            s.status.isError = !up
        case .finished(let stats):
            s.job?.finished = true
            s.job?.tokensPerSecond = stats.decodeTokensPerSecond
            s.job?.tokens = stats.decodeTokens
            s.comparison.tau = kendallTau(s)
        }
        let now = s.now
        if let job = s.job, job.startedAt > 0, now > job.startedAt, !job.finished {
            s.job?.tokensPerSecond = Double(job.tokens) / (now - job.startedAt)
        }
    }

    /// Keeps the selected passage selected while the ranking reorders.
    /// The ranking is computed once before and once after the change; `reorders: false` (a streamed token cannot
    /// move a row) reuses the first.
    static func keepSelection(_ s: inout ExplorerState, reorders: Bool = true, _ change: (inout ExplorerState) -> Void) {
        let before = s.ranking
        let id = s.selected < before.count ? s.results[before[s.selected]].id : nil
        change(&s)
        let order = reorders ? s.ranking : before
        if let id, let row = s.results.firstIndex(where: { $0.id == id }), let pos = order.firstIndex(of: row) {
            s.selected = pos
        }
        if s.details.follow {
            s.details.step = Int.max
            clampStep(&s, order: order)
        }
    }

}

/// The result list: rank, movement, score and bar per row, the header with nDCG@10 and the sort key.
extension View {
    static func header(_ sc: inout Screen, _ title: String, _ r: Rect, focused: Bool, right: String = "") {
        sc.fill(x: r.x, y: r.y, width: r.width, height: 1, role: .border)
        let w = sc.put((focused ? "▌" : " ") + title, x: r.x, y: r.y, maxWidth: r.width, role: focused ? .accent : .border, bold: focused)
        // The right-hand note is shortened to what fits after the title.
        let room = r.width - w - 2
        guard !right.isEmpty, room > 3 else { return }
        let shown = TextWidth.of(right) <= room ? right : TextWidth.prefix(right, columns: room - 1) + "…"
        sc.put(shown, x: r.x + r.width - TextWidth.of(shown) - 1, y: r.y, role: .border)
    }

    /// A row's move against the basis (BM25, or the previous instruction's ranking). A move that a direct verdict
    /// (no reasoning) made is marked ≈ and dim, one that the previous instruction's stale verdict holds is dim: only
    /// a reasoned verdict's move is drawn in full.
    static func movement(_ s: ExplorerState, row: Int, position: Int) -> (String, Role) {
        let before: Int?
        if !s.comparison.previousRanking.isEmpty {
            before = s.comparison.previousRanking.firstIndex(of: s.results[row].id)
        } else if s.results.contains(where: { $0.currentScore != nil }) {
            before = s.results[row].bm25Rank
        } else {
            before = nil
        }
        guard let b = before else { return ("", .dim) }
        let (text, role) = moved(from: b, to: position)
        switch s.results[row].currentScore?.source {
        case .direct: return (text == "·" ? "≈·" : "≈" + text, .dim)
        case .stale: return (text, .dim)
        default: return (text, role)
        }
    }

    /// How far something moved from place `from` to place `to`: ↑3 (up, good), ↓2 (down, bad) or · (stayed).
    static func moved(from: Int, to: Int) -> (String, Role) {
        from > to ? ("↑\(from - to)", .good) : from < to ? ("↓\(to - from)", .bad) : ("·", .dim)
    }

    /// The list header's note in `room` columns: nDCG@10 when judgments are known, the two judges, what the marks
    /// mean, then the score column's sort key, the moves' basis, K and the hits; what does not fit is left out from
    /// the end.
    static func resultsNote(_ s: ExplorerState, room: Int) -> String {
        let basis = s.comparison.previousRanking.isEmpty ? s.queryBar.firstStage : "prev. instr."
        var parts =
            s.results.isEmpty ? [] : [s.fusion != nil ? "fused score" : "Rank1 score", "moves vs \(basis)", "top \(s.k)", "\(s.results.count) hits"]
        // What the marks mean, while any is on screen; the flip mark's after the moves' basis, which matters more.
        if s.results.contains(where: \.reasoningFlipped) { parts.insert("⇅ reasoning flipped", at: min(2, parts.count)) }
        let sources = Set(s.results.compactMap { $0.currentScore?.source })
        if sources.contains(.direct) { parts.insert("≈ direct verdict", at: 0) }
        if sources.contains(.stale) { parts.insert("(…) previous instr.", at: 0) }
        if let judges = View.judgesNote(s) { parts.insert(judges, at: 0) }
        if let bm25 = s.ndcg10(Array(s.results.indices)) {
            let reranked = s.results.contains { $0.currentScore != nil } ? s.ndcg10(s.ranking) : nil
            parts.insert(
                String(format: "nDCG@10 %@ %.3f", s.queryBar.firstStage, bm25) + (reranked.map { String(format: " → Rank1 %.3f", $0) } ?? ""), at: 0)
        }
        while parts.count > 1 && TextWidth.of(parts.joined(separator: " · ")) > room { parts.removeLast() }
        return parts.joined(separator: " · ")
    }

    static func results(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        let note = resultsNote(s, room: r.width - TextWidth.of("▌Results") - 2)
        header(&sc, "Results", r, focused: s.focus == .results, right: note)
        if s.results.isEmpty {
            let msg = s.queryBar.searched.isEmpty ? "no query yet" : "no passage matches \"\(s.queryBar.searched)\""
            sc.put(msg, x: r.x + 2, y: r.y + 1, maxWidth: r.width - 2, role: .dim)
            return
        }
        let order = s.ranking
        let sortKeys = s.rankScores
        let layout = Layout(width: s.width, height: s.height, split: s.split)
        let first = layout.firstVisible(selected: s.selected, count: order.count)
        let wide = r.width >= 60
        let anyFlipped = s.results.contains(where: \.reasoningFlipped)
        for line in 0..<(r.height - 1) {
            let pos = first + line
            guard pos < order.count else { break }
            let row = order[pos]
            let res = s.results[row]
            let y = r.y + 1 + line
            let isSel = pos == s.selected
            if isSel { sc.fill(x: r.x, y: y, width: r.width, height: 1, role: .selected, reverse: true) }
            var x = r.x
            func put(_ t: String, _ role: Role, width w: Int? = nil, bold: Bool = false) {
                let used = sc.put(
                    t, x: x, y: y, maxWidth: min(w ?? r.width, r.x + r.width - x), role: isSel ? .selected : role,
                    bold: bold, reverse: isSel)
                x += max(w ?? used, used)
            }
            put(String(format: "%3d ", pos + 1), .dim)
            let (mv, mvRole) = movement(s, row: row, position: pos)
            put(mv.padding(toLength: 4, withPad: " ", startingAt: 0), mvRole)
            if wide { put(String(format: "%6.2f ", res.bm25Score), .dim) }
            let spinner = spinnerFrames[s.spinner % spinnerFrames.count]
            switch (res.judgment, res.currentScore) {
            case (.failed, _): put(" fail ", .bad, width: 6)
            case (.done(let v), _) where v.fallback:
                put(" 0.5? ", .warning, width: 6)  // the reference's fallback, not the model's verdict
            case (.done(let v), _):
                let key = sortKeys[row] ?? v.score
                put(String(format: "%.3f ", key), v.score >= 0.5 ? .good : .bad, width: 6)
            case (_, let current?) where current.source == .direct:
                // Provisional: the direct verdict, until the chain's replaces it.
                let key = sortKeys[row] ?? current.score
                put(String(format: "≈%.2f ", key), current.score >= 0.5 ? .good : .bad, width: 6)
            case (_, let current?):
                let key = sortKeys[row] ?? current.score
                put(String(format: "(%.2f)", key), .dim, width: 6)
            case (.none, nil): put("  -  ", .dim, width: 6)
            case (.queued, nil): put("  ·  ", .dim, width: 6)
            case (.judging, nil): put("  " + spinner + "  ", .accent, width: 6)
            }
            if s.judges.two {
                let (text, role) = View.secondScore(res, spinner: spinner)
                put(text, role, width: 6)
            }
            // The reasoning moved the verdict across 0.5 from the direct one (a column only while a row is so).
            if anyFlipped { put(res.reasoningFlipped ? "⇅" : " ", .warning) }
            if wide {
                // The bar of the score shown; a row whose chain is running shows its spinner beside a provisional score.
                var meter = res.currentScore.map { View.bar(for: $0.score) } ?? "    "
                if res.judgment == .judging && res.currentScore != nil { meter = String(meter.prefix(3)) + spinner }
                put(meter + " ", res.currentScore?.source == .reasoned ? .accent : .dim)
            }
            if let rel = res.relevant, rel > 0 { put("★", .warning) }
            put(res.title.isEmpty ? res.id : res.title, .normal, bold: isSel)
        }
    }

    static func bar(for score: Double) -> String {
        guard score.isFinite else { return "  ? " }  // Int(NaN * 8) would trap
        let blocks = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let filled = score * 4
        return (0..<4).map { i in
            let v = filled - Double(i)
            if v >= 1 { return "█" }
            if v <= 0 { return " " }
            return blocks[min(Int(v * 8), 7)]
        }.joined()
    }
}

/// Work follows the user: the chains of a running job start with the selected row, then the rows on screen in the
/// order shown.
extension Explorer {
    /// The job's passages the user looks at, most wanted first: the selected row, then the rows on screen from the top
    /// (a job's passages are its first `total` rows), leaving out those with their verdict. Rows already started stay
    /// in the list: it says an order (the engine feeds the prompts of started rows in it too), and it changes only
    /// when the selection or the order on screen does, so a list sent a moment late still says the same.
    static func wantedPassages(_ s: ExplorerState) -> [Int] {
        guard let job = s.job, !job.finished, !job.cancelled else { return [] }
        let order = s.ranking
        let layout = Layout(width: s.width, height: s.height, split: s.split)
        let first = layout.firstVisible(selected: s.selected, count: order.count)
        let onScreen = order.dropFirst(first).prefix(max(layout.results.height - 1, 1))
        var wanted: [Int] = []
        for row in [s.selectedIndex].compactMap({ $0 }) + onScreen
        where row < job.total && (s.results[row].judgment == .queued || s.results[row].judgment == .judging) && !wanted.contains(row) {
            wanted.append(row)
        }
        return wanted
    }

    /// Asks the engine for the wanted passages when they changed since last asked.
    static func followUser(_ s: inout ExplorerState) -> [Effect] {
        guard let job = s.job, !job.finished, !job.cancelled else { return [] }
        let wanted = wantedPassages(s)
        guard wanted != job.wanted else { return [] }
        s.job?.wanted = wanted
        return [.prioritize(generation: job.generation, passages: wanted)]
    }
}
