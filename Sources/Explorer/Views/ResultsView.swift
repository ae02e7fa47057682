import Foundation
import Rerank

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

    static func movement(_ s: ExplorerState, row: Int, position: Int) -> (String, Role) {
        let before: Int?
        if !s.previousRanking.isEmpty {
            before = s.previousRanking.firstIndex(of: s.results[row].id)
        } else if s.results.contains(where: { $0.judgment.verdict != nil }) {
            before = s.results[row].bm25Rank
        } else {
            before = nil
        }
        guard let b = before else { return ("", .dim) }
        if b > position { return ("↑\(b - position)", .good) }
        if b < position { return ("↓\(position - b)", .bad) }
        return ("·", .dim)
    }

    static func results(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        // The note: nDCG@10 when judgments are known, then the score column's sort key, the moves' basis, K and the
        // hits; what does not fit is left out from the end.
        let basis = s.previousRanking.isEmpty ? s.firstStage : "prev. instr."
        var parts =
            s.results.isEmpty ? [] : [s.fusion != nil ? "fused score" : "Rank1 score", "moves vs \(basis)", "top \(s.k)", "\(s.results.count) hits"]
        if let bm25 = s.ndcg10(Array(s.results.indices)) {
            let reranked = s.results.contains { $0.judgment.verdict != nil } ? s.ndcg10(s.ranking) : nil
            parts.insert(String(format: "nDCG@10 %@ %.3f", s.firstStage, bm25) + (reranked.map { String(format: " → Rank1 %.3f", $0) } ?? ""), at: 0)
        }
        let room = r.width - TextWidth.of("▌Results") - 2
        while parts.count > 1 && TextWidth.of(parts.joined(separator: " · ")) > room { parts.removeLast() }
        header(&sc, "Results", r, focused: s.focus == .results, right: parts.joined(separator: " · "))
        if s.results.isEmpty {
            let msg = s.searchedQuery.isEmpty ? "no query yet" : "no passage matches \"\(s.searchedQuery)\""
            sc.put(msg, x: r.x + 2, y: r.y + 1, maxWidth: r.width - 2, role: .dim)
            return
        }
        let order = s.ranking
        let sortKeys = s.rankScores
        let layout = Layout(width: s.width, height: s.height, split: s.split)
        let first = layout.firstVisible(selected: s.selected, count: order.count)
        let wide = r.width >= 60
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
            switch res.judgment {
            case .none: put("  -  ", .dim, width: 6)
            case .queued: put("  ·  ", .dim, width: 6)
            case .judging: put("  " + spinnerFrames[s.spinner % spinnerFrames.count] + "  ", .accent, width: 6)
            case .failed: put(" fail ", .bad, width: 6)
            case .done(let v):
                let key = sortKeys[row] ?? v.score
                put(String(format: "%.3f ", key), v.score >= 0.5 ? .good : .bad, width: 6)
            }
            if wide {
                let meter = res.judgment.verdict.map { View.bar(for: $0.score) } ?? "    "
                put(meter + " ", .accent)
            }
            if let rel = res.relevant, rel > 0 { put("★", .warning) }
            put(res.title.isEmpty ? res.id : res.title, .normal, bold: isSel)
        }
    }

    static func bar(for score: Double) -> String {
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
