import Foundation

/// The run views: the picker over the opened runs' queries, and two runs' rankings of one query side by side.
extension View {
    static func value(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "  -  " }

    static func runPicker(_ sc: inout Screen, _ s: ExplorerState) {
        guard let runs = s.runs else { return }
        let two = runs.names.count == 2
        let title =
            two
            ? "\(runs.queries.count) queries by B − A in nDCG@10 — \(listKeys(s))"
            : "\(runs.queries.count) queries of \(runs.names[0]) — \(listKeys(s))"
        let inner = box(&sc, s, title: title, width: s.width - 4, height: s.height - 4)
        guard !runs.queries.isEmpty else {
            sc.put("no query of the run has a text (give --queries or --collection)", x: inner.x, y: inner.y, maxWidth: inner.width, role: .dim)
            return
        }
        let rows = inner.height
        let first = max(0, min(s.pickerSelection - rows / 2, runs.queries.count - rows))
        for (i, q) in runs.queries.dropFirst(first).prefix(rows).enumerated() {
            let sel = first + i == s.pickerSelection
            let y = inner.y + i
            if sel { sc.fill(x: inner.x, y: y, width: inner.width, height: 1, role: .selected, reverse: true) }
            var x = inner.x
            if two {
                let d = q.difference
                x += sc.put(
                    d.map { String(format: "%+.3f ", $0) } ?? "   -   ", x: x, y: y,
                    role: sel ? .selected : (d ?? 0) > 1e-12 ? .good : (d ?? 0) < -1e-12 ? .bad : .dim, reverse: sel)
                x += sc.put("A \(value(q.values[0])) B \(value(q.values[1]))  ", x: x, y: y, role: sel ? .selected : .dim, reverse: sel)
            } else {
                x += sc.put("nDCG@10 \(value(q.values[0]))  ", x: x, y: y, role: sel ? .selected : .dim, reverse: sel)
            }
            sc.put("\(q.id)  \(q.text)", x: x, y: y, maxWidth: inner.x + inner.width - x, role: sel ? .selected : .overlay, reverse: sel)
        }
    }

    /// Run A's ranking left, run B's right; ★ marks judged-relevant documents, B's arrows say how far each
    /// document moved from its place in A.
    static func sideBySide(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        guard let runs = s.runs, runs.names.count == 2, let i = s.runQuery ?? (runs.queries.isEmpty ? nil : s.pickerSelection) else { return }
        let q = runs.queries[i]
        let half = r.width / 2
        let sides = [
            Rect(x: r.x, y: r.y, width: half - 1, height: r.height - 1), Rect(x: r.x + half, y: r.y, width: r.width - half, height: r.height - 1),
        ]
        let columns = s.sideBySide.count == 2 ? s.sideBySide : [[], []]
        let inA = Dictionary(columns[0].enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (side, rect) in sides.enumerated() {
            let label = ["A", "B"][side]
            header(&sc, "\(label): \(runs.names[side])", rect, focused: side == 1, right: "nDCG@10 " + value(q.values[side]))
            if s.sideBySide.isEmpty {
                sc.put("looking up …", x: rect.x + 2, y: rect.y + 1, role: .dim)
                continue
            }
            if columns[side].isEmpty { sc.put("no candidates for \(q.id)", x: rect.x + 2, y: rect.y + 1, maxWidth: rect.width - 2, role: .dim) }
            for (n, row) in columns[side].prefix(rect.height - 1).enumerated() {
                let y = rect.y + 1 + n
                var x = rect.x
                x += sc.put(String(format: "%3d ", n + 1), x: x, y: y, role: .dim)
                if side == 1 {
                    let (mv, role): (String, Role) =
                        inA[row.id].map { a in a > n ? ("↑\(a - n)", .good) : a < n ? ("↓\(n - a)", .bad) : ("·", .dim) } ?? ("new", .accent)
                    x += sc.put(mv.padding(toLength: 4, withPad: " ", startingAt: 0), x: x, y: y, role: role)
                }
                x += sc.put((row.relevant ?? 0) > 0 ? "★" : " ", x: x, y: y, role: .warning)
                sc.put(row.title.isEmpty ? row.id : row.title, x: x, y: y, maxWidth: rect.x + rect.width - x)
            }
        }
        let d = q.difference.map { String(format: "B − A %+.3f · ", $0) } ?? ""
        let m = s.keyMap
        let keys =
            "\(m.label(.nextQuery, in: .sideBySide)) \(m.label(.previousQuery, in: .sideBySide)) next/previous · "
            + "\(m.label(.close, in: .sideBySide).split(separator: " ").first ?? "") queries"
        sc.put("\(i + 1)/\(runs.queries.count) \(q.id) · \(d)\(keys)", x: r.x + 1, y: r.y + r.height - 1, maxWidth: r.width - 2, role: .accent)
    }
}
