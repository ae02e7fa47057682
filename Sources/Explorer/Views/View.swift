import Foundation
import Rerank
import Retrieval

/// Pure rendering: state → screen (and where the terminal cursor goes).
public enum View {
    public static let spinnerFrames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    public static func render(_ s: ExplorerState) -> (screen: Screen, cursor: (x: Int, y: Int)?) {
        var screen = Screen(width: s.width, height: s.height)
        guard s.width >= 20, s.height >= 6 else {
            screen.put("terminal too small", x: 0, y: 0, role: .warning)
            return (screen, nil)
        }
        let layout = Layout(width: s.width, height: s.height, split: s.split)
        var cursor = queryBar(&screen, s, layout.query)
        if s.mode == .comparing {
            compare(&screen, s, Rect(x: 0, y: 1, width: s.width, height: s.height - 2))
        } else if s.mode == .sideBySide || (s.mode == .pickingRunQuery || s.mode == .help) && s.runs?.names.count == 2 {
            sideBySide(&screen, s, Rect(x: 0, y: 1, width: s.width, height: s.height - 2))
        } else {
            results(&screen, s, layout.results)
            passage(&screen, s, layout.passage)
            reasoning(&screen, s, layout.reasoning)
        }
        statusBar(&screen, s, layout.status)
        if s.mode == .help { help(&screen, s) }
        if s.mode == .pickingQuery { picker(&screen, s) }
        if s.mode == .pickingRunQuery { runPicker(&screen, s) }
        if s.mode == .editingInstruction { cursor = instructionEditor(&screen, s) }
        if s.mode != .editingQuery && s.mode != .editingInstruction { cursor = nil }
        return (screen, cursor)
    }

    // MARK: query bar

    static func queryBar(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) -> (x: Int, y: Int)? {
        sc.fill(x: r.x, y: r.y, width: r.width, height: 1, role: .input)
        let label = s.mode == .editingQuery ? "query › " : "query ⁄ "
        let lw = sc.put(label, x: 0, y: r.y, role: .title, bold: true)
        let avail = r.width - lw - 1
        // Scroll the query so the cursor stays visible.
        // Back from the cursor while the text before it fits: linear in the query's length, so a long paste
        // costs one pass, not one pass per character.
        let chars = Array(s.query)
        let cursor = min(s.queryCursor, chars.count)
        var start = cursor
        var used = 0
        while start > 0 && used + TextWidth.of(chars[start - 1]) <= avail - 1 {
            start -= 1
            used += TextWidth.of(chars[start])
        }
        sc.put(String(chars[start..<min(chars.count, start + avail + 1)]), x: lw, y: r.y, maxWidth: avail, role: .input)
        if s.query.isEmpty && s.mode != .editingQuery {
            sc.put("press / to type a query, ? for help", x: lw, y: r.y, maxWidth: avail, role: .dim)
        }
        let cx = lw + used
        return (min(cx, r.width - 1), r.y)
    }

}
