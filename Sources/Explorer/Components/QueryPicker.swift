import Foundation
import Rerank

// Query lists: their state, a collection's list (keys, opening a query, its overlay), stepping through queries.

/// Query lists: a collection's judged queries or the queries of opened run files, the one on screen, and for
/// two runs the rankings of that query side by side.
public struct QueryPicker: Equatable, Sendable {
    public var collection: [CollectionQuery] = []
    public var selection = 0
    /// The picked query (its judgments mark the results).
    public var current: CollectionQuery? = nil
    public var runs: RunSet? = nil
    /// The run query on screen (its index in `runs.queries`).
    public var runQuery: Int? = nil
    public var sideBySide: [[ResultRow]] = []
}

extension Explorer {
    static func pickQuery(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        listKey(&s, s.keyMap.action(for: key, in: .list), count: s.picker.collection.count, closeTo: .browse) {
            openCollectionQuery(&$0, $0.picker.selection)
        }
    }

    /// A key in a query list: move, open the selected query, or close the list (to `closeTo`).
    static func listKey(
        _ s: inout ExplorerState, _ action: Action?, count: Int, closeTo: Mode, open: (inout ExplorerState) -> [Effect]
    ) -> [Effect] {
        if moveInList(&s.picker.selection, count: count, action) { return [] }
        switch action {
        case .close?: s.mode = closeTo
        case .open?: return open(&s)
        // Listed, not `default`: a new action is a compile error until this says what it does in a list.
        case nil, .up?, .down?, .pageUp?, .pageDown?, .top?, .bottom?:  // (moves: above)
            break
        case .quit?, .help?, .editQuery?, .editInstruction?, .compare?, .disagreement?, .rerank?, .cancel?, .nextPane?, .previousPane?, .nextStep?,
            .previousStep?, .verdict?, .more?, .fewer?, .pickQuery?, .nextQuery?, .previousQuery?, .apply?, .left?, .right?, .lineStart?,
            .lineEnd?, .deleteBack?, .deleteForward?, .deleteToStart?, .deleteWord?, .newline?, .nextPreset?, .widerList?,
            .narrowerList?, .history?, .clear?:
            break  // other contexts' actions: the key map never binds them in a list
        }
        return []
    }

    /// Searches query `i` of the collection; its judgments mark the results.
    static func openCollectionQuery(_ s: inout ExplorerState, _ i: Int) -> [Effect] {
        guard s.picker.collection.indices.contains(i) else { return [] }
        let q = s.picker.collection[i]
        s.picker.selection = i
        s.picker.current = q
        s.queryBar.text = q.text
        s.queryBar.cursor = q.text.count
        s.mode = .browse
        return [.search(query: q.text, k: s.k)]
    }

    /// Moves a list selection by a list-context action; true when the action was a move.
    static func moveInList(_ selection: inout Int, count n: Int, _ action: Action?) -> Bool {
        switch action {
        case .up: selection = max(0, selection - 1)
        case .down: selection = max(0, min(n - 1, selection + 1))
        case .pageUp: selection = max(0, selection - 10)
        case .pageDown: selection = max(0, min(n - 1, selection + 10))
        case .top: selection = 0
        case .bottom: selection = max(0, n - 1)
        case nil, .quit, .help, .editQuery, .editInstruction, .compare, .disagreement, .rerank, .cancel, .nextPane, .previousPane, .nextStep,
            .previousStep, .verdict, .more, .fewer, .pickQuery, .nextQuery, .previousQuery, .apply, .close, .open, .left, .right,
            .lineStart, .lineEnd, .deleteBack, .deleteForward, .deleteToStart, .deleteWord, .newline, .nextPreset, .widerList,
            .narrowerList, .history, .clear:
            return false  // not a move (listed, not `default`: a new action must say whether it moves)
        }
        return true
    }
}

extension View {
    static func picker(_ sc: inout Screen, _ s: ExplorerState) {
        let inner = box(
            &sc, s, title: "Pick a query (\(s.picker.collection.count) with judgments) — \(listKeys(s))",
            width: s.width - 4, height: s.height - 4)
        let rows = inner.height
        let first = max(0, min(s.picker.selection - rows / 2, s.picker.collection.count - rows))
        for (i, q) in s.picker.collection.dropFirst(first).prefix(rows).enumerated() {
            let sel = first + i == s.picker.selection
            if sel { sc.fill(x: inner.x, y: inner.y + i, width: inner.width, height: 1, role: .selected, reverse: true) }
            let line = "\(q.id)  \(q.text)  (\(q.relevant.values.filter { $0 > 0 }.count) relevant)"
            sc.put(line, x: inner.x, y: inner.y + i, maxWidth: inner.width, role: sel ? .selected : .overlay, reverse: sel)
        }
    }
}
