import Foundation
import Rerank

// The query bar: its state, its keys (search as you type, Enter reranks), its view.

/// The query bar: what is typed, and the search it last ran.
public struct QueryBar: Equatable, Sendable {
    public var text = ""
    public var cursor = 0
    /// The query whose results are listed, how long its search took, and the run file whose candidates they are
    /// (nil: BM25's results).
    public var searched = ""
    public var milliseconds: Double = 0
    public var run: String? = nil
    /// What ordered the results, as the screen names it.
    public var firstStage: String { run ?? "BM25" }
    /// A query was submitted with Enter: rerank as soon as its results arrive.
    public var rerankAfterSearch = false
}

extension Explorer {
    static func editQuery(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        let action = s.keyMap.action(for: key, in: .queryEditor)
        switch action {
        case .close:
            s.mode = .browse
            return []
        case .apply:
            s.mode = .browse
            s.queryBar.rerankAfterSearch = s.rerankAvailable
            if !s.rerankAvailable { s.status.message = "reranking is off: \(s.backend)" }
            return [.search(query: s.queryBar.text, k: s.k)]
        default:
            if editLine(&s.queryBar.text, &s.queryBar.cursor, key, action) { return [.search(query: s.queryBar.text, k: s.k)] }
            return []
        }
    }
}

extension View {
    static func queryBar(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) -> (x: Int, y: Int)? {
        sc.fill(x: r.x, y: r.y, width: r.width, height: 1, role: .input)
        let label = s.mode == .editingQuery ? "query › " : "query ⁄ "
        let lw = sc.put(label, x: 0, y: r.y, role: .title, bold: true)
        let avail = r.width - lw - 1
        // Scroll the query so the cursor stays visible.
        // Back from the cursor while the text before it fits: linear in the query's length, so a long paste
        // costs one pass, not one pass per character.
        let chars = Array(s.queryBar.text)
        let cursor = min(s.queryBar.cursor, chars.count)
        var start = cursor
        var used = 0
        while start > 0 && used + TextWidth.of(chars[start - 1]) <= avail - 1 {
            start -= 1
            used += TextWidth.of(chars[start])
        }
        sc.put(String(chars[start..<min(chars.count, start + avail + 1)]), x: lw, y: r.y, maxWidth: avail, role: .input)
        if s.queryBar.text.isEmpty && s.mode != .editingQuery {
            // Drawn from the bindings in force: a user's key map changes the hint with the key.
            let m = s.keyMap
            sc.put(
                "press \(m.firstKey(.editQuery, in: .browse)) to type a query, \(m.firstKey(.help, in: .browse)) for help", x: lw, y: r.y,
                maxWidth: avail, role: .dim)
        }
        let cx = lw + used
        return (min(cx, r.width - 1), r.y)
    }
}
