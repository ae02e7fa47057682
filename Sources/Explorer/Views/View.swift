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
        let layout = Layout(width: s.width, height: s.height)
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

    // MARK: results

    static func header(_ sc: inout Screen, _ title: String, _ r: Rect, focused: Bool, right: String = "") {
        sc.fill(x: r.x, y: r.y, width: r.width, height: 1, role: .border)
        let w = sc.put((focused ? "▌" : " ") + title, x: r.x, y: r.y, maxWidth: r.width, role: focused ? .accent : .border, bold: focused)
        // The right-hand note is shortened to what fits after the title.
        let room = r.width - w - 2
        guard !right.isEmpty, room > 3 else { return }
        let shown = TextWidth.of(right) <= room ? right : TextWidth.prefix(right, columns: room - 1) + "…"
        sc.put(shown, x: r.x + r.width - TextWidth.of(shown) - 1, y: r.y, role: .border)
    }

    static func movement(_ s: ExplorerState, row: Int, position: Int) -> (String, Role) {
        let before: Int?
        if !s.previousRanking.isEmpty {
            before = s.previousRanking.firstIndex(of: s.results[row].id)
        } else if s.results.contains(where: { $0.judgment.verdict != nil }) {
            before = s.results[row].bm25Rank
        } else {
            before = nil
        }
        guard let b = before else { return ("", .dim) }
        if b > position { return ("↑\(b - position)", .good) }
        if b < position { return ("↓\(position - b)", .bad) }
        return ("·", .dim)
    }

    static func results(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        // The note names the score column's number (the sort key) first; what does not fit is left out from the end.
        let basis = s.previousRanking.isEmpty ? s.firstStage : "prev. instr."
        var parts =
            s.results.isEmpty ? [] : [s.fusion != nil ? "fused score" : "Rank1 score", "moves vs \(basis)", "top \(s.k)", "\(s.results.count) hits"]
        if let bm25 = s.ndcg10(Array(s.results.indices)) {
            let reranked = s.results.contains { $0.judgment.verdict != nil } ? s.ndcg10(s.ranking) : nil
            parts.insert(String(format: "nDCG@10 %@ %.3f", s.firstStage, bm25) + (reranked.map { String(format: " → Rank1 %.3f", $0) } ?? ""), at: 0)
        }
        let room = r.width - TextWidth.of("▌Results") - 2
        while parts.count > 1 && TextWidth.of(parts.joined(separator: " · ")) > room { parts.removeLast() }
        header(&sc, "Results", r, focused: s.focus == .results, right: parts.joined(separator: " · "))
        if s.results.isEmpty {
            let msg = s.searchedQuery.isEmpty ? "no query yet" : "no passage matches \"\(s.searchedQuery)\""
            sc.put(msg, x: r.x + 2, y: r.y + 1, maxWidth: r.width - 2, role: .dim)
            return
        }
        let order = s.ranking
        let sortKeys = s.rankScores
        let layout = Layout(width: s.width, height: s.height)
        let first = layout.firstVisible(selected: s.selected, count: order.count)
        let wide = r.width >= 60
        for line in 0..<(r.height - 1) {
            let pos = first + line
            guard pos < order.count else { break }
            let row = order[pos]
            let res = s.results[row]
            let y = r.y + 1 + line
            let isSel = pos == s.selected
            if isSel { sc.fill(x: r.x, y: y, width: r.width, height: 1, role: .selected, reverse: true) }
            var x = r.x
            func put(_ t: String, _ role: Role, width w: Int? = nil, bold: Bool = false) {
                let used = sc.put(
                    t, x: x, y: y, maxWidth: min(w ?? r.width, r.x + r.width - x), role: isSel ? .selected : role,
                    bold: bold, reverse: isSel)
                x += max(w ?? used, used)
            }
            put(String(format: "%3d ", pos + 1), .dim)
            let (mv, mvRole) = movement(s, row: row, position: pos)
            put(mv.padding(toLength: 4, withPad: " ", startingAt: 0), mvRole)
            if wide { put(String(format: "%6.2f ", res.bm25Score), .dim) }
            switch res.judgment {
            case .none: put("  -  ", .dim, width: 6)
            case .queued: put("  ·  ", .dim, width: 6)
            case .judging: put("  " + spinnerFrames[s.spinner % spinnerFrames.count] + "  ", .accent, width: 6)
            case .failed: put(" fail ", .bad, width: 6)
            case .done(let v):
                let key = sortKeys[row] ?? v.score
                put(String(format: "%.3f ", key), v.score >= 0.5 ? .good : .bad, width: 6)
            }
            if wide {
                let meter = res.judgment.verdict.map { View.bar(for: $0.score) } ?? "    "
                put(meter + " ", .accent)
            }
            if let rel = res.relevant, rel > 0 { put("★", .warning) }
            put(res.title.isEmpty ? res.id : res.title, .normal, bold: isSel)
        }
    }

    static func bar(for score: Double) -> String {
        let blocks = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let filled = score * 4
        return (0..<4).map { i in
            let v = filled - Double(i)
            if v >= 1 { return "█" }
            if v <= 0 { return " " }
            return blocks[min(Int(v * 8), 7)]
        }.joined()
    }

    // MARK: passage

    static func passage(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        guard let row = s.selectedRow else {
            header(&sc, "Passage", r, focused: s.focus == .passage)
            return
        }
        header(&sc, "Passage · \(row.id)", r, focused: s.focus == .passage, right: row.truncated ? "cut for the model […]" : "")
        let text = row.title.isEmpty ? row.text : row.title + "\n" + row.text
        let roles = highlightRoles(text, query: s.searchedQuery, titleLength: row.title.isEmpty ? 0 : row.title.count)
        let lines = TextWidth.wrap(text, columns: r.width - 2)
        let scroll = min(s.passageScroll, max(0, lines.count - (r.height - 1)))
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

    // MARK: reasoning

    static func reasoning(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        guard let row = s.selectedRow else {
            header(&sc, "Reasoning", r, focused: s.focus == .reasoning)
            return
        }
        let steps = Sentences.split(row.reasoning)
        let step = min(s.reasoningStep, max(steps.count - 1, 0))
        var right = ""
        switch row.judgment {
        case .done(let v):
            right = String(
                format: "%@ %.3f · %d tok, %.0f tok/s%@%@", v.score >= 0.5 ? "true" : "false", v.score, v.reasoningTokens,
                v.seconds > 0 ? Double(v.reasoningTokens) / v.seconds : 0,
                v.forcedClose ? " · forced close" : "", v.rethinks > 0 ? " · \(v.rethinks) rethink" : "")
            if v.stoppedRepeating { right += " · loop stopped" } else if v.repetitive { right += " · repeats" }
            if v.cached { right += " · cached" }
        case .judging: right = "thinking " + spinnerFrames[s.spinner % spinnerFrames.count]
        case .queued: right = "queued"
        case .failed(let why): right = "failed: " + why
        case .none: right = s.rerankAvailable ? "Enter reranks" : ""
        }
        if !steps.isEmpty { right = "step \(step + 1)/\(steps.count) · " + right }
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
        var roles = [(Role, Bool)](repeating: (.normal, false), count: text.count)
        if step < steps.count {
            for c in steps[step] where c < roles.count { roles[c] = (.current, true) }
        }
        var lines = TextWidth.wrap(text, columns: r.width - 2)
        if case .done(let v) = row.judgment {
            // Both numbers say what they are normalised over; the fused value says what it is made of.
            var verdict = String(
                format: "→ %@: score %.3f = P(true)/(P(true)+P(false)); P(true) over the vocabulary %.2g",
                v.score >= 0.5 ? "relevant" : "not relevant", v.score, v.probabilityTrue)
            if let fusion = s.fusion, let index = s.selectedIndex, let f = s.rankScores[index] {
                verdict += String(format: "; fused %.3f = %.2g×score + %.2g×BM25 (min-max over the judged)", f, fusion.weight, 1 - fusion.weight)
            }
            for l in TextWidth.wrap(verdict, columns: r.width - 2) { lines.append((l.line, text.count + 10_000 + l.start)) }
        }
        // Keep the current step in view (the end while following the stream).
        let visible = r.height - 1
        var top = 0
        if step < steps.count, let idx = lines.lastIndex(where: { $0.start <= steps[step].lowerBound }) {
            top = max(0, idx - visible / 2)
        }
        if s.followStream { top = max(0, lines.count - visible) }
        for (i, l) in lines.dropFirst(top).prefix(visible).enumerated() {
            if l.start >= text.count + 10_000 {
                sc.put(l.line, x: r.x + 1, y: r.y + 1 + i, maxWidth: r.width - 2, role: .accent, bold: true)
            } else {
                drawStyled(&sc, l.line, start: l.start, roles: roles, x: r.x + 1, y: r.y + 1 + i, width: r.width - 2)
            }
        }
    }

    // MARK: status

    static func statusBar(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        sc.fill(x: r.x, y: r.y, width: r.width, height: 1, role: .border, reverse: true)
        // Job progress first (it changes), then the message, then what stays the same.
        var parts: [String] = []
        if let job = s.job {
            let state = job.cancelled ? "cancelled" : job.finished ? "done" : "judging"
            parts.append("\(state) \(job.judged)/\(job.total)")
            parts.append(String(format: "%.0f tok/s", job.tokensPerSecond))
        }
        // The model's name and τ come early, so that an 80-column screen shows them whole.
        parts.append(s.modelName + (s.rank1Checkpoint == false ? " (not Rank1)" : ""))
        if let tau = s.tau { parts.append(String(format: "Kendall τ %.2f", tau)) }
        if let m = s.message { parts.append(m) }
        // A fused ranking is said next to the progress, so that a narrow screen still shows it.
        if let f = s.fusion, s.job != nil { parts.append("ranked by \(f.label)") }
        if !s.searchedQuery.isEmpty { parts.append(String(format: "%@ %.1f ms", s.firstStage, s.bm25Milliseconds)) }
        parts += ["\(s.corpusName) \(s.corpusSize.formatted()) passages", s.backend]
        if !s.profileName.isEmpty { parts.append("profile \(s.profileName)") }
        if let f = s.fusion, s.job == nil { parts.append("ranks by \(f.label)") }
        parts.append("? help")
        let text = parts.joined(separator: " │ ")
        sc.put(" " + text, x: r.x, y: r.y, maxWidth: r.width, role: s.messageIsError && s.message != nil ? .bad : .border, reverse: true)
    }

    // MARK: overlays

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

    static func picker(_ sc: inout Screen, _ s: ExplorerState) {
        let inner = box(
            &sc, s, title: "Pick a query (\(s.collectionQueries.count) with judgments) — \(listKeys(s))",
            width: s.width - 4, height: s.height - 4)
        let rows = inner.height
        let first = max(0, min(s.pickerSelection - rows / 2, s.collectionQueries.count - rows))
        for (i, q) in s.collectionQueries.dropFirst(first).prefix(rows).enumerated() {
            let sel = first + i == s.pickerSelection
            if sel { sc.fill(x: inner.x, y: inner.y + i, width: inner.width, height: 1, role: .selected, reverse: true) }
            let line = "\(q.id)  \(q.text)  (\(q.relevant.values.filter { $0 > 0 }.count) relevant)"
            sc.put(line, x: inner.x, y: inner.y + i, maxWidth: inner.width, role: sel ? .selected : .overlay, reverse: sel)
        }
    }

    static func instructionEditor(_ sc: inout Screen, _ s: ExplorerState) -> (x: Int, y: Int)? {
        let inner = box(
            &sc, s, title: "Instruction — FILL_QUERY_HERE marks the query; empty = bare query", width: 76,
            height: min(14, s.height - 2))
        let m = s.keyMap
        let c = KeyContext.instructionEditor
        let hint = [(Action.apply, "apply"), (.nextPreset, "preset"), (.history, "history"), (.clear, "clear"), (.close, "cancel")]
            .map { "\(m.label($0.0, in: c).split(separator: " ").first ?? "") \($0.1)" }.joined(separator: "  ")
        sc.put(hint, x: inner.x, y: inner.y + inner.height - 1, maxWidth: inner.width, role: .dim)
        let draft = s.instructionDraft
        var roles = [(Role, Bool)](repeating: (.overlay, false), count: draft.count)
        var searchFrom = draft.startIndex
        while let m = draft.range(of: Rank1Prompt.marker, range: searchFrom..<draft.endIndex) {
            let a = draft.distance(from: draft.startIndex, to: m.lowerBound)
            for c in a..<(a + Rank1Prompt.marker.count) { roles[c] = (.accent, true) }
            searchFrom = m.upperBound
        }
        let lines = TextWidth.wrap(draft, columns: inner.width)
        let rows = inner.height - 1
        var cursorLine = lines.count - 1
        for (i, l) in lines.enumerated() where l.start <= s.instructionCursor { cursorLine = i }
        let top = max(0, cursorLine - rows + 1)
        for (i, l) in lines.dropFirst(top).prefix(rows).enumerated() {
            drawStyled(&sc, l.line, start: l.start, roles: roles, x: inner.x, y: inner.y + i, width: inner.width)
        }
        if draft.isEmpty { sc.put("(bare query)", x: inner.x, y: inner.y, role: .dim) }
        guard cursorLine >= 0, cursorLine < lines.count else { return (inner.x, inner.y) }
        let l = lines[cursorLine]
        let col = TextWidth.of(String(l.line.prefix(max(0, s.instructionCursor - l.start))))
        return (inner.x + min(col, inner.width - 1), inner.y + cursorLine - top)
    }

    static func compare(_ sc: inout Screen, _ s: ExplorerState, _ r: Rect) {
        let half = r.width / 2
        let left = Rect(x: r.x, y: r.y, width: half - 1, height: r.height)
        let right = Rect(x: r.x + half, y: r.y, width: r.width - half, height: r.height)
        header(&sc, "A: " + (s.previousInstruction.map { $0.isEmpty ? "bare query" : $0.replacingNewlines(with: " ") } ?? "-"), left, focused: false)
        header(&sc, "B: " + (s.instruction.isEmpty ? "bare query" : s.instruction.replacingNewlines(with: " ")), right, focused: true)
        let current = s.ranking.map { s.results[$0].id }
        let titles = Dictionary(s.results.map { ($0.id, $0.title.isEmpty ? $0.id : $0.title) }, uniquingKeysWith: { a, _ in a })
        for (i, id) in s.previousRanking.prefix(r.height - 1).enumerated() {
            sc.put(String(format: "%3d ", i + 1) + (titles[id] ?? id), x: left.x, y: left.y + 1 + i, maxWidth: left.width)
        }
        for (i, id) in current.prefix(r.height - 1).enumerated() {
            var x = right.x
            x += sc.put(String(format: "%3d ", i + 1), x: x, y: right.y + 1 + i, role: .dim)
            if let before = s.previousRanking.firstIndex(of: id) {
                let (mv, role): (String, Role) = before > i ? ("↑\(before - i)", .good) : before < i ? ("↓\(i - before)", .bad) : ("·", .dim)
                x += sc.put(mv.padding(toLength: 4, withPad: " ", startingAt: 0), x: x, y: right.y + 1 + i, role: role)
            }
            sc.put(titles[id] ?? id, x: x, y: right.y + 1 + i, maxWidth: right.x + right.width - x)
        }
        if let tau = Explorer.kendallTau(s) {
            sc.put(String(format: "Kendall's τ %.2f · v or Esc closes", tau), x: r.x + 1, y: r.y + r.height - 1, role: .accent)
        }
    }
}
