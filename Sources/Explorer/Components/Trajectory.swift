import Foundation
import Rerank

// The verdict trajectory (probes on): the score a forced close would give after each sentence, drawn as one line
// above the reasoning; stepping through the sentences shows the score at each.

extension View {
    static let sparks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The probe that stands for the sentence ending at character `end`: the last one at or before it.
    static func probe(_ trajectory: [Probe], endingBy end: Int) -> Int? {
        trajectory.lastIndex { $0.characters <= end }
    }

    /// One line: "P ▃▅▂▇ 0.38 after sentence 2 (53 tok)"; the current probe is marked, and a trajectory longer than
    /// the line keeps its most recent probes.
    static func trajectory(_ sc: inout Screen, _ probes: [Probe], current: Int?, x: Int, y: Int, width: Int) {
        guard !probes.isEmpty, width > 12 else { return }
        let focus = current ?? probes.count - 1
        let p = probes[focus]
        let label = String(format: " %.2f after sentence %d (%d tok)", p.score, p.sentence, p.tokens)
        let room = max(1, width - 2 - label.count)
        let first = max(0, min(focus - room / 2, probes.count - room))
        var col = sc.put("P ", x: x, y: y, maxWidth: width, role: .dim)
        for i in first..<min(probes.count, first + room) {
            let score = probes[i].score.isFinite ? probes[i].score : 0  // Int(NaN) would trap
            let level = min(sparks.count - 1, max(0, Int(score * Double(sparks.count))))
            let role: Role = i == focus ? .current : probes[i].score >= 0.5 ? .good : .bad
            col += sc.put(String(sparks[level]), x: x + col, y: y, maxWidth: width - col, role: role, bold: i == focus)
        }
        sc.put(label, x: x + col, y: y, maxWidth: width - col, role: .accent)
    }
}
