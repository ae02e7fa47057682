import Foundation
import Rerank

// The instruction editor: its state, its keys (apply, presets, history), its overlay.

/// The instruction and its editor: the applied instruction, the draft being edited, earlier ones, presets.
public struct InstructionEditor: Equatable, Sendable {
    public var instruction = ""
    public var draft = ""
    public var cursor = 0
    public var history: [String] = []
    public var presets: [Preset] = []
}

extension Explorer {
    static func editInstruction(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        let action = s.keyMap.action(for: key, in: .instructionEditor)
        switch action {
        case .close:
            s.mode = .browse
            s.status.message = "instruction unchanged"
        case .apply:
            let draft = s.editor.draft.trimmingWhitespace()
            if !draft.isEmpty, let problem = Rank1Prompt.validate(instruction: draft) {
                s.status.message = "invalid instruction: \(problem)"
                s.status.isError = true
                return []
            }
            s.status.isError = false
            // The judged passages' order under the current instruction becomes the diff's baseline.
            let judged = s.ranking.filter { s.results[$0].judgment.verdict != nil }.map { s.results[$0].id }
            if !judged.isEmpty {
                s.comparison.previousRanking = judged
                s.comparison.previousInstruction = s.editor.instruction
            }
            if !s.editor.instruction.isEmpty, s.editor.history.last != s.editor.instruction { s.editor.history.append(s.editor.instruction) }
            s.editor.instruction = draft
            s.mode = .browse
            return startRerank(&s)
        case .nextPreset:
            guard !s.editor.presets.isEmpty else {
                s.status.message = "no presets in Assets/presets"
                return []
            }
            let names = s.editor.presets.map(\.template)
            let next = ((names.firstIndex(of: s.editor.draft) ?? -1) + 1) % names.count
            s.editor.draft = s.editor.presets[next].template
            s.editor.cursor = s.editor.draft.count
            s.status.message = "preset \(s.editor.presets[next].name)"
        case .history:
            guard !s.editor.history.isEmpty else {
                s.status.message = "no earlier instructions"
                return []
            }
            let i =
                ((s.editor.history.lastIndex(of: s.editor.draft) ?? s.editor.history.count) - 1 + s.editor.history.count)
                % s.editor.history.count
            s.editor.draft = s.editor.history[i]
            s.editor.cursor = s.editor.draft.count
        case .clear:
            s.editor.draft = ""
            s.editor.cursor = 0
        default:
            _ = editLine(&s.editor.draft, &s.editor.cursor, key, action)
        }
        return []
    }
}

extension View {
    static func instructionEditor(_ sc: inout Screen, _ s: ExplorerState) -> (x: Int, y: Int)? {
        let inner = box(
            &sc, s, title: "Instruction — FILL_QUERY_HERE marks the query; empty = bare query", width: 76,
            height: min(14, s.height - 2))
        let m = s.keyMap
        let c = KeyContext.instructionEditor
        let hint = [(Action.apply, "apply"), (.nextPreset, "preset"), (.history, "history"), (.clear, "clear"), (.close, "cancel")]
            .map { "\(m.firstKey($0.0, in: c)) \($0.1)" }.joined(separator: "  ")
        sc.put(hint, x: inner.x, y: inner.y + inner.height - 1, maxWidth: inner.width, role: .dim)
        let draft = s.editor.draft
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
        for (i, l) in lines.enumerated() where l.start <= s.editor.cursor { cursorLine = i }
        let top = max(0, cursorLine - rows + 1)
        for (i, l) in lines.dropFirst(top).prefix(rows).enumerated() {
            drawStyled(&sc, l.line, start: l.start, roles: roles, x: inner.x, y: inner.y + i, width: inner.width)
        }
        if draft.isEmpty { sc.put("(bare query)", x: inner.x, y: inner.y, role: .dim) }
        guard cursorLine >= 0, cursorLine < lines.count else { return (inner.x, inner.y) }
        let l = lines[cursorLine]
        // Measured on the draft, not the wrapped line: wrapping trims trailing spaces, and the cursor after a typed
        // space must stand after it.
        let from = draft.index(draft.startIndex, offsetBy: min(l.start, draft.count))
        let to = draft.index(draft.startIndex, offsetBy: min(max(s.editor.cursor, l.start), draft.count))
        let col = TextWidth.of(String(draft[from..<to]))
        return (inner.x + min(col, inner.width - 1), inner.y + cursorLine - top)
    }
}
