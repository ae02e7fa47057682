/// Terminal display width: 0 for combining marks and zero-width characters, 2 for East Asian wide and
/// full-width characters and emoji presentation, 1 otherwise. Layout is done in these columns, never in
/// characters or bytes.
public enum TextWidth {
    public static func of(_ c: Character) -> Int {
        var width = 0
        for (i, s) in c.unicodeScalars.enumerated() {
            let w = scalarWidth(s)
            if i == 0 { width = w } else if w == 2 && s.properties.isEmojiPresentation { width = 2 }
            // No widening for the emoji selector U+FE0F (❤️): curses moves by wcwidth, which gives the base's 1, and a
            // width curses does not share leaves a stale cell beside the character.
        }
        return width
    }

    /// A C0 or C1 control character or DEL (a tab, a line end, an ESC): it acts on a terminal instead of showing.
    public static func isControl(_ c: Character) -> Bool { c.unicodeScalars.first.map(isControl) ?? false }
    static func isControl(_ s: Unicode.Scalar) -> Bool { s.value < 0x20 || (0x7F...0x9F).contains(s.value) }

    static func scalarWidth(_ s: Unicode.Scalar) -> Int {
        let v = s.value
        if v == 0 || isControl(s) { return 0 }
        if v < 0x300 { return 1 }
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200B || v == 0x200D { return 0 }
        if s.properties.isEmojiPresentation { return 2 }
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return 2
        default: return 1
        }
    }

    public static func of(_ s: some StringProtocol) -> Int { s.reduce(0) { $0 + of($1) } }

    /// The longest prefix of `s` that fits in `columns`.
    public static func prefix(_ s: some StringProtocol, columns: Int) -> String {
        var out = ""
        var used = 0
        for c in s {
            let w = of(c)
            if used + w > columns { break }
            out.append(c)
            used += w
        }
        return out
    }

    /// Word-wraps `text` into lines of at most `columns` display columns (hard-breaking words longer than
    /// a line); newlines start new lines. Each line is a contiguous piece of `text` beginning at `start`
    /// (a character offset), so per-character styling can follow it onto the screen.
    public static func wrap(_ text: String, columns: Int) -> [(line: String, start: Int)] {
        guard columns > 0 else { return [] }
        var out: [(String, Int)] = []
        var offset = 0
        // Any line end starts a line: "\r\n" is one Character in Swift, not "\n", so splitting on "\n" kept CRLF text whole.
        for para in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            var line = ""
            var used = 0
            var lineStart = offset
            var pos = offset
            var tokens: [(String, Int)] = []  // words and single spaces, with their offsets
            var word = ""
            var wordStart = offset
            for c in para {
                if c == " " {
                    if !word.isEmpty { tokens.append((word, wordStart)) }
                    tokens.append((" ", pos))
                    word = ""
                    wordStart = pos + 1
                } else {
                    if word.isEmpty { wordStart = pos }
                    word.append(c)
                }
                pos += 1
            }
            if !word.isEmpty { tokens.append((word, wordStart)) }
            for (tok, at) in tokens {
                if tok == " " {
                    if used < columns {
                        line += " "
                        used += 1
                    }
                    continue
                }
                var t = Substring(tok)
                var tStart = at
                var w = of(t)
                if used + w > columns && used > 0 {
                    while line.hasSuffix(" ") { line.removeLast() }
                    out.append((line, lineStart))
                    line = ""
                    used = 0
                    lineStart = tStart
                }
                while w > columns {
                    let head = prefix(t, columns: columns)
                    let n = max(head.count, 1)
                    out.append((String(t.prefix(n)), tStart))
                    t = t.dropFirst(n)
                    tStart += n
                    lineStart = tStart
                    w = of(t)
                }
                if line.isEmpty { lineStart = tStart }
                line += t
                used += w
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out.append((line, lineStart))
            offset += para.count + 1
        }
        return out
    }
}
