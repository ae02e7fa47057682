import Rerank

/// Line editing, shared by the query bar and the instruction editor.
extension Explorer {
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
        // Listed, not `default`: a new action is a compile error until this says whether it edits a line.
        case .quit?, .help?, .editQuery?, .editInstruction?, .compare?, .disagreement?, .rerank?, .cancel?, .nextPane?, .previousPane?, .up?, .down?,
            .pageUp?, .pageDown?, .top?, .bottom?, .nextStep?, .previousStep?, .verdict?, .more?, .fewer?, .pickQuery?, .nextQuery?,
            .previousQuery?, .apply?, .close?, .open?, .nextPreset?, .widerList?, .narrowerList?, .history?, .clear?:
            break  // the editors handle their own (apply, close, presets…); the rest are never bound in an editor
        }
        return false
    }

    static func insert(_ text: inout String, _ cursor: inout Int, _ piece: String) {
        cursor = min(max(cursor, 0), text.count)
        // Counted from the end: a modifier (skin tone, a vowel sign) can merge into the character before it.
        let after = text.count - cursor
        text.insert(contentsOf: piece, at: text.index(text.startIndex, offsetBy: cursor))
        cursor = text.count - after
    }
}
