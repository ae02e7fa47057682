/// Keys and messages of the run views: the picker over the runs' queries, stepping through them, and two runs'
/// rankings of one query side by side.
extension Explorer {
    /// Opens query `i` of the runs: one run's candidates become the result list (to read and rerank); two runs'
    /// rankings are shown side by side.
    static func openRunQuery(_ s: inout ExplorerState, _ i: Int) -> [Effect] {
        guard let runs = s.runs, runs.queries.indices.contains(i) else { return [] }
        let q = runs.queries[i]
        s.runQuery = i
        s.pickerSelection = i
        s.currentQuery = CollectionQuery(id: q.id, text: q.text, relevant: q.relevant)
        s.query = q.text
        s.queryCursor = 0  // the query bar shows a long query from its start
        if runs.names.count == 2 {
            s.mode = .sideBySide
            s.sideBySide = []
            return [.sideBySide(query: q.id, ids: [0, 1].map { runs.candidates(run: $0, query: q.id, k: 100).map(\.id) })]
        }
        s.mode = .browse
        s.candidatesPending = true
        return [.candidates(query: q.text, candidates: runs.candidates(run: 0, query: q.id, k: 100))]
    }

    /// `]` and `[`: the next or previous query of the runs, or of the collection.
    static func stepQuery(_ s: inout ExplorerState, _ delta: Int) -> [Effect] {
        if let runs = s.runs {
            guard !runs.queries.isEmpty else { return [] }
            let i = min(max((s.runQuery ?? (delta > 0 ? -1 : runs.queries.count)) + delta, 0), runs.queries.count - 1)
            return openRunQuery(&s, i)
        }
        guard !s.collectionQueries.isEmpty else {
            s.message = "no query list: open a run (--run) or a collection (--collection)"
            return []
        }
        let current = s.currentQuery.flatMap { q in s.collectionQueries.firstIndex { $0.id == q.id } }
        let i = min(max((current ?? (delta > 0 ? -1 : s.collectionQueries.count)) + delta, 0), s.collectionQueries.count - 1)
        return openCollectionQuery(&s, i)
    }

    static func pickRunQuery(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        let action = s.keyMap.action(for: key, in: .list)
        if moveInList(&s.pickerSelection, count: s.runs?.queries.count ?? 0, action) { return [] }
        switch action {
        case .close: s.mode = s.runQuery != nil && s.runs?.names.count == 2 ? .sideBySide : .browse
        case .open: return openRunQuery(&s, s.pickerSelection)
        default: break
        }
        return []
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
        default: break
        }
        return []
    }

    /// The documents of the side-by-side query arrived (ignored when another query was opened since).
    static func showSideBySide(_ s: inout ExplorerState, query: String, columns: [[ResultRow]]) {
        guard let runs = s.runs, let i = s.runQuery, runs.queries[i].id == query else { return }
        s.sideBySide = columns.map { rows in
            rows.map {
                var r = $0
                r.relevant = runs.queries[i].relevant[r.id]
                return r
            }
        }
    }
}
