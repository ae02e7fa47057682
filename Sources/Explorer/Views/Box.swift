import Foundation
import Rerank

/// A box drawn over the panes (the lists, the instruction editor, the help).
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
}
