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
        } else if s.mode == .sideBySide || (s.mode == .pickingRunQuery || s.mode == .help) && s.twoRuns {
            sideBySide(&screen, s, Rect(x: 0, y: 1, width: s.width, height: s.height - 2))
        } else {
            results(&screen, s, layout.results)
            passage(&screen, s, layout.passage)
            if s.judges.two {
                // Both judges' chains side by side: the first's (stepped through, attributed) left, the second's right.
                let r = layout.reasoning
                let half = r.width / 2
                reasoning(&screen, s, Rect(x: r.x, y: r.y, width: half, height: r.height))
                secondReasoning(&screen, s, Rect(x: r.x + half, y: r.y, width: r.width - half, height: r.height))
            } else {
                reasoning(&screen, s, layout.reasoning)
            }
        }
        statusBar(&screen, s, layout.status)
        if s.mode == .help { help(&screen, s) }
        if s.mode == .pickingQuery { picker(&screen, s) }
        if s.mode == .pickingRunQuery { runPicker(&screen, s) }
        if s.mode == .editingInstruction { cursor = instructionEditor(&screen, s) }
        if s.mode != .editingQuery && s.mode != .editingInstruction { cursor = nil }
        return (screen, cursor)
    }
}
