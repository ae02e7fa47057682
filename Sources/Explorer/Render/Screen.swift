/// Colours and attributes of a cell, by role; the terminal adapter maps roles to colours (or to
/// attributes only, in monochrome).
public enum Role: UInt8, CaseIterable, Sendable {
    case normal, dim, title, accent, selected, highlight, good, bad, warning, border, input, current, overlay
    /// What a chain drew on (the passage's words it quotes or restates) and a chain's sentence with no support.
    case quoted, unsupported
}

public struct Cell: Equatable, Sendable {
    /// One grapheme, or "" for the second column of a wide one.
    public var text: String
    public var role: Role
    public var bold: Bool
    public var reverse: Bool
    public static let blank = Cell(text: " ", role: .normal, bold: false, reverse: false)
}

/// An in-memory terminal: views draw here, tests read it, the curses adapter copies it out.
public struct Screen: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(width, 0)
        self.height = max(height, 0)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell { cells[y * width + x] }

    /// Writes `text` at (x, y), clipped to `maxWidth` columns (and the screen); returns columns used.
    /// A wide character that would straddle the edge is replaced by a space.
    @discardableResult
    public mutating func put(
        _ text: some StringProtocol, x: Int, y: Int, maxWidth: Int? = nil, role: Role = .normal,
        bold: Bool = false, reverse: Bool = false
    ) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(maxWidth ?? width, width - max(x, 0))
        var col = 0
        for original in text {
            // Control characters (a tab, a CRLF or an ESC in a title or a paste) would act on the terminal, not
            // show: whitespace ones become a space, the others a replacement mark, each one cell.
            var ch = original
            if TextWidth.isControl(ch) { ch = ch.isWhitespace ? " " : "\u{FFFD}" }
            let w = TextWidth.of(ch)
            if w == 0 {
                // Combining or zero-width: attach to the previous cell (not to a wide character's empty half).
                if col > 0, x + col - 1 >= 0, !cells[y * width + x + col - 1].text.isEmpty { cells[y * width + x + col - 1].text.append(ch) }
                continue
            }
            if col + w > limit {
                if col < limit, x + col >= 0 { cells[y * width + x + col] = Cell(text: " ", role: role, bold: bold, reverse: reverse) }
                break
            }
            if x + col >= 0 { cells[y * width + x + col] = Cell(text: String(ch), role: role, bold: bold, reverse: reverse) }
            if w == 2 { cells[y * width + x + col + 1] = Cell(text: "", role: role, bold: bold, reverse: reverse) }
            col += w
        }
        return col
    }

    /// Fills a rectangle with spaces of a role.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, role: Role = .normal, reverse: Bool = false) {
        for yy in max(y, 0)..<min(y + h, height) {
            for xx in max(x, 0)..<min(x + w, width) {
                cells[yy * width + xx] = Cell(text: " ", role: role, bold: false, reverse: reverse)
            }
        }
    }

    /// The screen as plain text lines (trailing spaces trimmed): what snapshot tests compare.
    public var text: String {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width { line += self[x, y].text }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}
