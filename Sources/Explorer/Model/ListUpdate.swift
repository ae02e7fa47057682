/// The collection's query list: its keys and opening a query.
extension Explorer {
    static func pickQuery(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        let n = s.collectionQueries.count
        let action = s.keyMap.action(for: key, in: .list)
        if moveInList(&s.pickerSelection, count: n, action) { return [] }
        switch action {
        case .close: s.mode = .browse
        case .open: return openCollectionQuery(&s, s.pickerSelection)
        default: break
        }
        return []
    }

    /// Searches query `i` of the collection; its judgments mark the results.
    static func openCollectionQuery(_ s: inout ExplorerState, _ i: Int) -> [Effect] {
        guard s.collectionQueries.indices.contains(i) else { return [] }
        let q = s.collectionQueries[i]
        s.pickerSelection = i
        s.currentQuery = q
        s.query = q.text
        s.queryCursor = q.text.count
        s.mode = .browse
        return [.search(query: q.text, k: s.k)]
    }
}
