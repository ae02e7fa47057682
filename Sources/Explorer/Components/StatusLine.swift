import Foundation
import Rerank

// The status line: its message, and the bar drawn from the whole state.

/// The status line's message.
public struct StatusLine: Equatable, Sendable {
    public var message: String? = nil
    public var isError = false
}

extension View {
    static func statusBar(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        sc.fill(x: r.x, y: r.y, width: r.width, height: 1, role: .border, reverse: true)
        // Job progress first (it changes), then the model and τ, the message, then what stays the same.
        var parts: [String] = []
        if let job = s.job {
            let state = job.cancelled ? "cancelled" : job.finished ? "done" : "judging"
            parts.append("\(state) \(job.judged)/\(job.total)")
            parts.append(String(format: "%.0f tok/s", job.tokensPerSecond))
        }
        // The model's name and τ come early, so that an 80-column screen shows them whole.
        parts.append(s.modelName + (s.rank1Checkpoint == false ? " (not Rank1)" : ""))
        if let tau = s.comparison.tau { parts.append(String(format: "Kendall τ %.2f", tau)) }
        if let m = s.status.message { parts.append(m) }
        // A fused ranking is said while a job shows, before the fixed parts, so that a narrow screen still shows it.
        if let f = s.fusion, s.job != nil { parts.append("ranked by \(f.label)") }
        if !s.queryBar.searched.isEmpty { parts.append(String(format: "%@ %.1f ms", s.queryBar.firstStage, s.queryBar.milliseconds)) }
        parts += ["\(s.corpusName) \(s.corpusSize.formatted()) passages", s.backend]
        if !s.profileName.isEmpty { parts.append("profile \(s.profileName)") }
        if let f = s.fusion, s.job == nil { parts.append("ranks by \(f.label)") }
        parts.append("\(s.keyMap.firstKey(.help, in: .browse)) help")
        let text = parts.joined(separator: " │ ")
        sc.put(" " + text, x: r.x, y: r.y, maxWidth: r.width, role: s.status.isError && s.status.message != nil ? .bad : .border, reverse: true)
    }
}
