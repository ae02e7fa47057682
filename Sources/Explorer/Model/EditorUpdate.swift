import Rerank

/// The query and instruction editors: their keys, line editing, applying an instruction.
extension Explorer {
    static func editQuery(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        let action = s.keyMap.action(for: key, in: .queryEditor)
        switch action {
        case .close:
            s.mode = .browse
            return []
        case .apply:
            s.mode = .browse
            s.rerankAfterSearch = s.rerankAvailable
            if !s.rerankAvailable { s.message = "reranking is off: \(s.backend)" }
            return [.search(query: s.query, k: s.k)]
        default:
            if editLine(&s.query, &s.queryCursor, key, action) { return [.search(query: s.query, k: s.k)] }
            return []
        }
    }

    static func editInstruction(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        let action = s.keyMap.action(for: key, in: .instructionEditor)
        switch action {
        case .close:
            s.mode = .browse
            s.message = "instruction unchanged"
        case .apply:
            let draft = s.instructionDraft.trimmingWhitespace()
            if !draft.isEmpty, let problem = Rank1Prompt.validate(instruction: draft) {
                s.message = "invalid instruction: \(problem)"
                s.messageIsError = true
                return []
            }
            s.messageIsError = false
            // The judged passages' order under the current instruction becomes the diff's baseline.
            let judged = s.ranking.filter { s.results[$0].judgment.verdict != nil }.map { s.results[$0].id }
            if !judged.isEmpty {
                s.previousRanking = judged
                s.previousInstruction = s.instruction
            }
            if !s.instruction.isEmpty, s.instructionHistory.last != s.instruction { s.instructionHistory.append(s.instruction) }
            s.instruction = draft
            s.mode = .browse
            return startRerank(&s)
        case .nextPreset:
            guard !s.presets.isEmpty else {
                s.message = "no presets in Assets/presets"
                return []
            }
            let names = s.presets.map(\.template)
            let next = ((names.firstIndex(of: s.instructionDraft) ?? -1) + 1) % names.count
            s.instructionDraft = s.presets[next].template
            s.instructionCursor = s.instructionDraft.count
            s.message = "preset \(s.presets[next].name)"
        case .history:
            guard !s.instructionHistory.isEmpty else {
                s.message = "no earlier instructions"
                return []
            }
            let i =
                ((s.instructionHistory.lastIndex(of: s.instructionDraft) ?? s.instructionHistory.count) - 1 + s.instructionHistory.count)
                % s.instructionHistory.count
            s.instructionDraft = s.instructionHistory[i]
            s.instructionCursor = s.instructionDraft.count
        case .clear:
            s.instructionDraft = ""
            s.instructionCursor = 0
        default:
            _ = editLine(&s.instructionDraft, &s.instructionCursor, key, action)
        }
        return []
    }

    /// Line editing by an editor action, or a typed character when the key has none; true when the text changed.
    static func editLine(_ text: inout String, _ cursor: inout Int, _ key: Key, _ action: Action?) -> Bool {
        cursor = min(max(cursor, 0), text.count)
        switch action {
        case nil:
            guard case .char(let c) = key else { return false }
            insert(&text, &cursor, String(c))
            return true
        case .newline?:
            insert(&text, &cursor, "\n")
            return true
        case .deleteBack?:
            guard cursor > 0 else { return false }
            text.remove(at: text.index(text.startIndex, offsetBy: cursor - 1))
            cursor -= 1
            return true
        case .deleteForward?:
            guard cursor < text.count else { return false }
            text.remove(at: text.index(text.startIndex, offsetBy: cursor))
            return true
        case .left?: cursor = max(0, cursor - 1)
        case .right?: cursor = min(text.count, cursor + 1)
        case .lineStart?: cursor = 0
        case .lineEnd?: cursor = text.count
        case .deleteToStart?:
            text.removeSubrange(text.startIndex..<text.index(text.startIndex, offsetBy: cursor))
            cursor = 0
            return true
        case .deleteWord?:
            let before = text.prefix(cursor)
            let trimmed = before.dropLast(before.reversed().prefix(while: { $0 == " " }).count)
            let keep = trimmed.dropLast(trimmed.reversed().prefix(while: { $0 != " " }).count)
            text = String(keep) + text.dropFirst(cursor)
            cursor = keep.count
            return true
        default: break
        }
        return false
    }

    static func insert(_ text: inout String, _ cursor: inout Int, _ piece: String) {
        cursor = min(max(cursor, 0), text.count)
        text.insert(contentsOf: piece, at: text.index(text.startIndex, offsetBy: cursor))
        cursor += piece.count
    }
}
