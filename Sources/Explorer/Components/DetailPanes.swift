import Foundation
import Rerank
import Retrieval

// The passage and reasoning panes: their scroll state, stepping through the reasoning, their views.

/// The passage and reasoning panes: where each is scrolled, and whether the reasoning follows the stream.
public struct DetailPanes: Equatable, Sendable {
    public var passageScroll = 0
    public var step = 0
    public var follow = true
}

extension Explorer {
    static func move(_ s: inout ExplorerState, _ delta: Int) {
        switch s.focus {
        case .results:
            let n = s.results.count
            guard n > 0 else { return }
            s.selected = min(max(s.selected + delta, 0), n - 1)
            s.details.passageScroll = 0
            s.details.step = 0
            s.details.follow = true
        case .passage:
            // Clamped here, not only when drawn: past the end, moving back up must answer at once.
            s.details.passageScroll = min(max(0, s.details.passageScroll + delta), View.passageMaxScroll(s))
        case .reasoning:
            s.details.follow = false
            s.details.step = max(0, s.details.step + delta)
            clampStep(&s)
            scrollPassageToStep(&s)
        }
    }

    static func clampStep(_ s: inout ExplorerState) { clampStep(&s, order: s.ranking) }

    /// `order`: the ranking as it stands (the caller's, when it has one).
    static func clampStep(_ s: inout ExplorerState, order: [Int]) {
        let row = s.selected < order.count ? s.results[order[s.selected]] : nil
        let steps = Sentences.split(row?.reasoning ?? "").count
        s.details.step = min(s.details.step, max(steps - 1, 0))
    }
}

extension View {
    /// The passage's wrapped lines in a pane of `width` columns: title, then text.
    static func passageLines(_ row: ResultRow, width: Int) -> (text: String, lines: [(line: String, start: Int)]) {
        let text = row.title.isEmpty ? row.text : row.title + "\n" + row.text
        return (text, TextWidth.wrap(text, columns: width - 2))
    }

    /// The last scroll position that still shows text, for the layout the state's terminal size gives.
    static func passageMaxScroll(_ s: ExplorerState) -> Int {
        guard let row = s.selectedRow else { return 0 }
        let r = Layout(width: s.width, height: s.height, split: s.split).passage
        return max(0, passageLines(row, width: r.width).lines.count - (r.height - 1))
    }

    static func passage(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        guard let row = s.selectedRow else {
            header(&sc, "Passage", r, focused: s.focus == .passage)
            return
        }
        header(&sc, "Passage · \(row.id)", r, focused: s.focus == .passage, right: row.truncated ? "cut for the model […]" : "")
        let (text, lines) = passageLines(row, width: r.width)
        var roles = highlightRoles(text, query: s.queryBar.searched, titleLength: row.title.isEmpty ? 0 : row.title.count)
        // What the chain quotes or restates; the current step's spans as the step itself is drawn.
        for span in quotedInPassage(s, row) {
            for c in span.range where c < roles.count { roles[c] = span.current ? (.current, true) : (.quoted, false) }
        }
        let scroll = min(s.details.passageScroll, max(0, lines.count - (r.height - 1)))
        for (i, l) in lines.dropFirst(scroll).prefix(r.height - 1).enumerated() {
            drawStyled(&sc, l.line, start: l.start, roles: roles, x: r.x + 1, y: r.y + 1 + i, width: r.width - 2)
        }
    }

    /// Per-character roles: query terms highlighted (by analyzed term, so "cats" matches "cat").
    static func highlightRoles(_ text: String, query: String, titleLength: Int) -> [(Role, Bool)] {
        var roles = [(Role, Bool)](repeating: (.normal, false), count: text.count)
        for i in 0..<min(titleLength, roles.count) { roles[i] = (.title, true) }
        let analyzer = EnglishAnalyzer()
        let wanted = Set(analyzer.terms(query))
        guard !wanted.isEmpty else { return roles }
        // Byte offsets → character offsets.
        var charAtByte = [Int](repeating: 0, count: text.utf8.count + 1)
        var b = 0
        for (ci, ch) in text.enumerated() {
            for _ in 0..<ch.utf8.count {
                charAtByte[b] = ci
                b += 1
            }
        }
        charAtByte[b] = text.count
        for t in analyzer.rawTokens(text) where t.term.map(wanted.contains) == true {
            for c in charAtByte[t.range.lowerBound]..<charAtByte[t.range.upperBound] where c < roles.count { roles[c] = (.highlight, true) }
        }
        return roles
    }

    static func drawStyled(_ sc: inout Screen, _ line: String, start: Int, roles: [(Role, Bool)], x: Int, y: Int, width: Int) {
        var col = 0
        for (i, ch) in line.enumerated() {
            let (role, bold) = start + i < roles.count ? roles[start + i] : (.normal, false)
            let w = sc.put(String(ch), x: x + col, y: y, maxWidth: width - col, role: role, bold: bold)
            col += w
            if col >= width { break }
        }
    }

    /// The reasoning pane's header note: the step, the verdict and how it came (or the chain's state), and the direct
    /// verdict beside it.
    static func reasoningNote(_ s: ExplorerState, _ row: ResultRow, step: Int, steps: [Range<Int>], attribution: Attribution?) -> String {
        var right = ""
        switch row.judgment {
        case .done(let v):
            right = String(
                format: "%@ %.3f · %d tok, %.0f tok/s%@%@", v.score >= 0.5 ? "true" : "false", v.score, v.reasoningTokens,
                v.seconds > 0 ? Double(v.reasoningTokens) / v.seconds : 0,
                v.forcedClose ? " · forced close" : "", v.rethinks > 0 ? " · \(v.rethinks) rethink" : "")
            if v.stoppedRepeating { right += " · loop stopped" } else if v.repetitive { right += " · repeats" }
            if v.earlyExit { right += " · early exit" }
            if v.fallback { right += " · fallback 0.5 (no true/false from the server)" }
            if v.cached { right += " · cached" }
        case .judging: right = "thinking " + spinnerFrames[s.spinner % spinnerFrames.count]
        case .queued: right = "queued"
        case .failed(let why): right = "failed: " + why
        case .none: right = s.rerankAvailable ? "\(s.keyMap.firstKey(.rerank, in: .browse)) reranks" : ""
        }
        // The direct verdict (no reasoning) and what the reasoning did to it.
        if let d = row.direct {
            let mark = d.score >= 0.5 ? "true" : "false"
            if let v = row.judgment.verdict {
                right =
                    String(format: "direct %@ %.3f → ", mark, d.score) + right
                    + (row.reasoningFlipped ? String(format: " · reasoning flipped it (%+.2f)", v.score - d.score) : "")
            } else {
                right = String(format: "direct %@ %.3f (no reasoning) · ", mark, d.score) + right
            }
        } else if let old = row.stale, row.judgment.verdict == nil {
            right = String(format: "previous instruction %.3f (stale) · ", old.score) + right
        }
        // What the step's sentence rests on, first while stepping; how much of the chain has support, after the verdict.
        if let support = supportNote(s, row, attribution, steps: steps) {
            var parts = right.components(separatedBy: " · ")
            parts.insert(support, at: s.details.follow ? min(1, parts.count) : 0)
            right = parts.joined(separator: " · ")
        }
        if !steps.isEmpty { right = "step \(step + 1)/\(steps.count) · " + right }
        return right
    }

    static func reasoning(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        guard let row = s.selectedRow else {
            header(&sc, "Reasoning", r, focused: s.focus == .reasoning)
            return
        }
        let steps = Sentences.split(row.reasoning)
        let step = min(s.details.step, max(steps.count - 1, 0))
        // Analysed once per drawing: the header, the chain's colours and the verdict line all read it.
        let attribution = attribution(s, row)
        let right = reasoningNote(s, row, step: step, steps: steps, attribution: attribution)
        header(&sc, "Reasoning", r, focused: s.focus == .reasoning, right: right)
        var text = row.reasoning.trimmingWhitespace().isEmpty ? "" : row.reasoning
        if case .failed(let why) = row.judgment { text = "failed: \(why)" }
        if text.isEmpty && s.rank1Checkpoint == false && s.rerankAvailable {
            // Said plainly before the first judgment, so nobody mistakes a small generic model for Rank1.
            let note =
                "\(s.modelName) is not a Rank1 checkpoint (no single </think> token): its judgments are illustrative. "
                + "For real ones, start with --model rank1-7b.Q4_K_M.gguf or --endpoint URL of a server running jhu-clsp/rank1-* "
                + "(README: Using a real Rank1 checkpoint)."
            for (i, l) in TextWidth.wrap(note, columns: r.width - 2).prefix(r.height - 1).enumerated() {
                sc.put(l.line, x: r.x + 1, y: r.y + 1 + i, maxWidth: r.width - 2, role: .warning)
            }
            return
        }
        let roles = reasoningRoles(s, row, text: text, steps: steps, step: step, attribution: attribution)
        var lines = TextWidth.wrap(text, columns: r.width - 2)
        if case .done(let v) = row.judgment {
            // Both numbers say what they are normalised over; the fused value says what it is made of.
            var verdict = String(
                format: "→ %@: score %.3f = P(true)/(P(true)+P(false)); P(true) over the vocabulary %.2g",
                v.score >= 0.5 ? "relevant" : "not relevant", v.score, v.probabilityTrue)
            if let fusion = s.fusion, let index = s.selectedIndex, let f = s.rankScores[index] {
                verdict += String(format: "; fused %.3f = %.2g×score + %.2g×BM25 (min-max over the judged)", f, fusion.weight, 1 - fusion.weight)
            }
            if let d = row.direct {
                verdict += String(
                    format: "; with no reasoning (direct) %.3f: the reasoning moved it %+.3f%@", d.score, v.score - d.score,
                    (d.score >= 0.5) != (v.score >= 0.5) ? ", across 0.5" : "")
            }
            // Where it turned, and how much of the chain rests on the passage or the query.
            if let turn = turningStep(row, steps: steps) {
                verdict += String(format: "; turned most after step %d (%.2f → %.2f)", turn.step + 1, turn.point.from, turn.point.to)
            }
            if let g = attribution?.grounded {
                verdict += String(format: "; %.0f%% of its sentences grounded in the passage or query", g * 100)
            }
            for l in TextWidth.wrap(verdict, columns: r.width - 2) { lines.append((l.line, text.count + 10_000 + l.start)) }
        }
        // With probes, the trajectory takes the pane's first line; the probe shown is the current step's.
        var textTop = r.y + 1
        if !row.trajectory.isEmpty && r.height >= 2 {
            let current = step < steps.count && !s.details.follow ? View.probe(row.trajectory, endingBy: steps[step].upperBound) : nil
            trajectory(&sc, row.trajectory, current: current, x: r.x + 1, y: textTop, width: r.width - 2)
            textTop += 1
        }
        // Keep the current step in view (the end while following the stream).
        let visible = max(0, r.height - 1 - (textTop - r.y - 1))  // 0 in a one-line pane under a trajectory
        var top = 0
        if step < steps.count, let idx = lines.lastIndex(where: { $0.start <= steps[step].lowerBound }) {
            top = max(0, idx - visible / 2)
        }
        if s.details.follow { top = max(0, lines.count - visible) }
        for (i, l) in lines.dropFirst(top).prefix(visible).enumerated() {
            if l.start >= text.count + 10_000 {
                sc.put(l.line, x: r.x + 1, y: textTop + i, maxWidth: r.width - 2, role: .accent, bold: true)
            } else {
                drawStyled(&sc, l.line, start: l.start, roles: roles, x: r.x + 1, y: textTop + i, width: r.width - 2)
            }
        }
    }
}
