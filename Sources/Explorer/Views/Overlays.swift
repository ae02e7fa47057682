import Foundation
import Rerank

/// Boxes drawn over the panes: the collection's query picker, the instruction editor, the A/B view.
extension View {
    static func box(_ sc: inout Screen, _ s: ExplorerState, title: String, width: Int, height: Int) -> Rect {
        let w = min(width, s.width - 2)
        let h = min(height, s.height - 2)
        let r = Rect(x: (s.width - w) / 2, y: max(1, (s.height - h) / 2), width: w, height: h)
        sc.fill(x: r.x, y: r.y, width: r.width, height: r.height, role: .overlay)
        sc.put("┌" + String(repeating: "─", count: max(r.width - 2, 0)) + "┐", x: r.x, y: r.y, role: .overlay)
        sc.put("└" + String(repeating: "─", count: max(r.width - 2, 0)) + "┘", x: r.x, y: r.y + r.height - 1, role: .overlay)
        for y in (r.y + 1)..<(r.y + r.height - 1) {
            sc.put("│", x: r.x, y: y, role: .overlay)
            sc.put("│", x: r.x + r.width - 1, y: y, role: .overlay)
        }
        sc.put(" \(title) ", x: r.x + 2, y: r.y, maxWidth: r.width - 4, role: .overlay, bold: true)
        return Rect(x: r.x + 2, y: r.y + 1, width: r.width - 4, height: r.height - 2)
    }

    static func picker(_ sc: inout Screen, _ s: ExplorerState) {
        let inner = box(
            &sc, s, title: "Pick a query (\(s.collectionQueries.count) with judgments) — \(listKeys(s))",
            width: s.width - 4, height: s.height - 4)
        let rows = inner.height
        let first = max(0, min(s.pickerSelection - rows / 2, s.collectionQueries.count - rows))
        for (i, q) in s.collectionQueries.dropFirst(first).prefix(rows).enumerated() {
            let sel = first + i == s.pickerSelection
            if sel { sc.fill(x: inner.x, y: inner.y + i, width: inner.width, height: 1, role: .selected, reverse: true) }
            let line = "\(q.id)  \(q.text)  (\(q.relevant.values.filter { $0 > 0 }.count) relevant)"
            sc.put(line, x: inner.x, y: inner.y + i, maxWidth: inner.width, role: sel ? .selected : .overlay, reverse: sel)
        }
    }

    static func instructionEditor(_ sc: inout Screen, _ s: ExplorerState) -> (x: Int, y: Int)? {
        let inner = box(
            &sc, s, title: "Instruction — FILL_QUERY_HERE marks the query; empty = bare query", width: 76,
            height: min(14, s.height - 2))
        let m = s.keyMap
        let c = KeyContext.instructionEditor
        let hint = [(Action.apply, "apply"), (.nextPreset, "preset"), (.history, "history"), (.clear, "clear"), (.close, "cancel")]
            .map { "\(m.label($0.0, in: c).split(separator: " ").first ?? "") \($0.1)" }.joined(separator: "  ")
        sc.put(hint, x: inner.x, y: inner.y + inner.height - 1, maxWidth: inner.width, role: .dim)
        let draft = s.instructionDraft
        var roles = [(Role, Bool)](repeating: (.overlay, false), count: draft.count)
        var searchFrom = draft.startIndex
        while let m = draft.range(of: Rank1Prompt.marker, range: searchFrom..<draft.endIndex) {
            let a = draft.distance(from: draft.startIndex, to: m.lowerBound)
            for c in a..<(a + Rank1Prompt.marker.count) { roles[c] = (.accent, true) }
            searchFrom = m.upperBound
        }
        let lines = TextWidth.wrap(draft, columns: inner.width)
        let rows = inner.height - 1
        var cursorLine = lines.count - 1
        for (i, l) in lines.enumerated() where l.start <= s.instructionCursor { cursorLine = i }
        let top = max(0, cursorLine - rows + 1)
        for (i, l) in lines.dropFirst(top).prefix(rows).enumerated() {
            drawStyled(&sc, l.line, start: l.start, roles: roles, x: inner.x, y: inner.y + i, width: inner.width)
        }
        if draft.isEmpty { sc.put("(bare query)", x: inner.x, y: inner.y, role: .dim) }
        guard cursorLine >= 0, cursorLine < lines.count else { return (inner.x, inner.y) }
        let l = lines[cursorLine]
        let col = TextWidth.of(String(l.line.prefix(max(0, s.instructionCursor - l.start))))
        return (inner.x + min(col, inner.width - 1), inner.y + cursorLine - top)
    }

    static func compare(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        let half = r.width / 2
        let left = Rect(x: r.x, y: r.y, width: half - 1, height: r.height)
        let right = Rect(x: r.x + half, y: r.y, width: r.width - half, height: r.height)
        header(&sc, "A: " + (s.previousInstruction.map { $0.isEmpty ? "bare query" : $0.replacingNewlines(with: " ") } ?? "-"), left, focused: false)
        header(&sc, "B: " + (s.instruction.isEmpty ? "bare query" : s.instruction.replacingNewlines(with: " ")), right, focused: true)
        let current = s.ranking.map { s.results[$0].id }
        let titles = Dictionary(s.results.map { ($0.id, $0.title.isEmpty ? $0.id : $0.title) }, uniquingKeysWith: { a, _ in a })
        for (i, id) in s.previousRanking.prefix(r.height - 1).enumerated() {
            sc.put(String(format: "%3d ", i + 1) + (titles[id] ?? id), x: left.x, y: left.y + 1 + i, maxWidth: left.width)
        }
        for (i, id) in current.prefix(r.height - 1).enumerated() {
            var x = right.x
            x += sc.put(String(format: "%3d ", i + 1), x: x, y: right.y + 1 + i, role: .dim)
            if let before = s.previousRanking.firstIndex(of: id) {
                let (mv, role): (String, Role) = before > i ? ("↑\(before - i)", .good) : before < i ? ("↓\(i - before)", .bad) : ("·", .dim)
                x += sc.put(mv.padding(toLength: 4, withPad: " ", startingAt: 0), x: x, y: right.y + 1 + i, role: role)
            }
            sc.put(titles[id] ?? id, x: x, y: right.y + 1 + i, maxWidth: right.x + right.width - x)
        }
        if let tau = Explorer.kendallTau(s) {
            sc.put(String(format: "Kendall's τ %.2f · v or Esc closes", tau), x: r.x + 1, y: r.y + r.height - 1, role: .accent)
        }
    }
}
