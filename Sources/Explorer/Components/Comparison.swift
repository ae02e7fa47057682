import Foundation
import Rerank

// The A/B view: its state (the previous instruction's ranking), Kendall's τ against it, its view.

/// The A/B view: the ranking (ids, best first) under the previous instruction, and Kendall's τ against it.
public struct Comparison: Equatable, Sendable {
    public var previousRanking: [String] = []
    public var previousInstruction: String? = nil
    public var tau: Double? = nil
}

extension Explorer {
    /// Kendall's τ between the previous instruction's ranking and the current one, over shared ids.
    public static func kendallTau(_ s: ExplorerState) -> Double? {
        guard !s.comparison.previousRanking.isEmpty else { return nil }
        let current = s.ranking.filter { s.results[$0].judgment.verdict != nil }.map { s.results[$0].id }
        let common = current.filter { s.comparison.previousRanking.contains($0) }
        guard common.count >= 2 else { return nil }
        // A run file can list a document twice for a query: its first (best) place counts.
        let prev = Dictionary(s.comparison.previousRanking.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var concordant = 0
        var discordant = 0
        for i in 0..<common.count {
            for j in (i + 1)..<common.count {
                if prev[common[i]]! < prev[common[j]]! { concordant += 1 } else { discordant += 1 }
            }
        }
        return Double(concordant - discordant) / Double(concordant + discordant)
    }
}

extension View {
    static func compare(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        let half = r.width / 2
        let left = Rect(x: r.x, y: r.y, width: half - 1, height: r.height)
        let right = Rect(x: r.x + half, y: r.y, width: r.width - half, height: r.height)
        header(
            &sc, "A: " + (s.comparison.previousInstruction.map { $0.isEmpty ? "bare query" : $0.pasted(newline: " ") } ?? "-"), left,
            focused: false)
        header(&sc, "B: " + (s.editor.instruction.isEmpty ? "bare query" : s.editor.instruction.pasted(newline: " ")), right, focused: true)
        let current = s.ranking.map { s.results[$0].id }
        let titles = Dictionary(s.results.map { ($0.id, $0.title.isEmpty ? $0.id : $0.title) }, uniquingKeysWith: { a, _ in a })
        for (i, id) in s.comparison.previousRanking.prefix(r.height - 1).enumerated() {
            sc.put(String(format: "%3d ", i + 1) + (titles[id] ?? id), x: left.x, y: left.y + 1 + i, maxWidth: left.width)
        }
        for (i, id) in current.prefix(r.height - 1).enumerated() {
            var x = right.x
            x += sc.put(String(format: "%3d ", i + 1), x: x, y: right.y + 1 + i, role: .dim)
            if let before = s.comparison.previousRanking.firstIndex(of: id) {
                let (mv, role) = moved(from: before, to: i)
                x += sc.put(mv.padding(toLength: 4, withPad: " ", startingAt: 0), x: x, y: right.y + 1 + i, role: role)
            }
            sc.put(titles[id] ?? id, x: x, y: right.y + 1 + i, maxWidth: right.x + right.width - x)
        }
        if let tau = Explorer.kendallTau(s) {
            sc.put(
                String(format: "Kendall's τ %.2f · %@ closes", tau, s.keyMap.alternatives(.close, in: .abView)), x: r.x + 1, y: r.y + r.height - 1,
                role: .accent)
        }
    }
}
