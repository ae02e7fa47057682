import Foundation

// Run files in the explorer: stepping through their queries, the list of them, two runs side by side.

/// Keys and messages of the run views: the picker over the runs' queries, stepping through them, and two runs'
/// rankings of one query side by side.
extension Explorer {
    /// Opens query `i` of the runs: one run's candidates become the result list (to read and rerank); two runs'
    /// rankings are shown side by side.
    static func openRunQuery(_ s: inout ExplorerState, _ i: Int) -> [Effect] {
        guard let runs = s.picker.runs, runs.queries.indices.contains(i) else { return [] }
        let q = runs.queries[i]
        s.picker.runQuery = i
        s.picker.selection = i
        s.picker.current = CollectionQuery(id: q.id, text: q.text, relevant: q.relevant)
        s.queryBar.text = q.text
        s.queryBar.cursor = 0  // the query bar shows a long query from its start
        if runs.names.count == 2 {
            s.mode = .sideBySide
            s.picker.sideBySide = []
            return [.sideBySide(query: q.id, ids: [0, 1].map { runs.candidates(run: $0, query: q.id, k: 100).map(\.id) })]
        }
        s.mode = .browse
        return [.candidates(query: q.text, candidates: runs.candidates(run: 0, query: q.id, k: 100))]
    }

    /// `]` and `[`: the next or previous query of the runs, or of the collection.
    static func stepQuery(_ s: inout ExplorerState, _ delta: Int) -> [Effect] {
        if let runs = s.picker.runs {
            guard !runs.queries.isEmpty else { return [] }
            let i = min(max((s.picker.runQuery ?? (delta > 0 ? -1 : runs.queries.count)) + delta, 0), runs.queries.count - 1)
            return openRunQuery(&s, i)
        }
        guard !s.picker.collection.isEmpty else {
            s.status.message = "no query list: open a run (--run) or a collection (--collection)"
            return []
        }
        let current = s.picker.current.flatMap { q in s.picker.collection.firstIndex { $0.id == q.id } }
        let i = min(max((current ?? (delta > 0 ? -1 : s.picker.collection.count)) + delta, 0), s.picker.collection.count - 1)
        return openCollectionQuery(&s, i)
    }

    static func pickRunQuery(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        listKey(&s, s.keyMap.action(for: key, in: .list), count: s.picker.runs?.queries.count ?? 0, closeTo: s.homeMode) {
            openRunQuery(&$0, $0.picker.selection)
        }
    }

    static func sideBySideKey(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        switch s.keyMap.action(for: key, in: .sideBySide) {
        case .nextQuery: return stepQuery(&s, 1)
        case .previousQuery: return stepQuery(&s, -1)
        case .quit:
            s.quit = true
            return [.quit]
        case .help: s.mode = .help
        case .close: s.mode = .pickingRunQuery
        // Listed, not `default`: a new action is a compile error until this says what it does here.
        case nil, .editQuery, .editInstruction, .compare, .disagreement, .rerank, .cancel, .nextPane, .previousPane, .up, .down, .pageUp, .pageDown,
            .top, .bottom, .nextStep, .previousStep, .verdict, .more, .fewer, .pickQuery, .apply, .open, .left, .right, .lineStart,
            .lineEnd, .deleteBack, .deleteForward, .deleteToStart, .deleteWord, .newline, .nextPreset, .widerList, .narrowerList, .history,
            .clear:
            break  // other contexts' actions: the key map never binds them here
        }
        return []
    }

    /// The documents of the side-by-side query arrived (ignored when another query was opened since).
    static func showSideBySide(_ s: inout ExplorerState, query: String, columns: [[ResultRow]]) {
        guard let runs = s.picker.runs, let i = s.picker.runQuery, runs.queries[i].id == query else { return }
        s.picker.sideBySide = columns.map { rows in
            rows.map {
                var r = $0
                r.relevant = runs.queries[i].relevant[r.id]
                return r
            }
        }
    }
}

/// The run views: the picker over the opened runs' queries, and two runs' rankings of one query side by side.
extension View {
    static func value(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "  -  " }

    static func runPicker(_ sc: inout Screen, _ s: ExplorerState) {
        guard let runs = s.picker.runs else { return }
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
        let first = max(0, min(s.picker.selection - rows / 2, runs.queries.count - rows))
        for (i, q) in runs.queries.dropFirst(first).prefix(rows).enumerated() {
            let sel = first + i == s.picker.selection
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
        guard let runs = s.picker.runs, runs.names.count == 2, let i = s.picker.runQuery ?? (runs.queries.isEmpty ? nil : s.picker.selection) else {
            return
        }
        let q = runs.queries[i]
        let half = r.width / 2
        let sides = [
            Rect(x: r.x, y: r.y, width: half - 1, height: r.height - 1), Rect(x: r.x + half, y: r.y, width: r.width - half, height: r.height - 1),
        ]
        let columns = s.picker.sideBySide.count == 2 ? s.picker.sideBySide : [[], []]
        let inA = Dictionary(columns[0].enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (side, rect) in sides.enumerated() {
            let label = ["A", "B"][side]
            header(&sc, "\(label): \(runs.names[side])", rect, focused: side == 1, right: "nDCG@10 " + value(q.values[side]))
            if s.picker.sideBySide.isEmpty {
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
                        inA[row.id].map { moved(from: $0, to: n) } ?? ("new", .accent)
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
            + "\(m.firstKey(.close, in: .sideBySide)) queries"
        sc.put("\(i + 1)/\(runs.queries.count) \(q.id) · \(d)\(keys)", x: r.x + 1, y: r.y + r.height - 1, maxWidth: r.width - 2, role: .accent)
    }
}
