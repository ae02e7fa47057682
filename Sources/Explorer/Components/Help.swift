/// The help overlay, generated from the key map: every context's bindings with their descriptions, key names
/// never cut (the key column is as wide as the widest label), scrolled when it does not fit.
extension View {
    public enum HelpLine: Equatable, Sendable {
        case title(String)
        case binding(keys: String, what: String)
        case text(String)
    }

    /// "Enter opens, Esc closes" for the list overlays, from the key map.
    static func listKeys(_ s: ExplorerState) -> String {
        "\(s.keyMap.firstKey(.open, in: .list)) opens, \(s.keyMap.firstKey(.close, in: .list)) closes"
    }

    /// The help as drawn: its box (wide enough for the widest key label and description, as the screen allows)
    /// and every line, built once per frame or key.
    struct HelpPage {
        let width: Int, height: Int, keyColumn: Int
        let lines: [HelpLine]
    }

    static func helpPage(_ s: ExplorerState) -> HelpPage {
        var keys: [HelpLine] = []
        for context in KeyContext.allCases {
            if !keys.isEmpty { keys.append(.text("")) }
            keys.append(.title(context.title))
            for a in context.actions { keys.append(.binding(keys: s.keyMap.label(a, in: context), what: s.keyMap.description(a, in: context))) }
        }
        keys += [.text(""), .binding(keys: "Ctrl-c", what: "quit, from anywhere"), .binding(keys: "mouse", what: "wheel scrolls, click selects")]
        // Which profile judges and why (the status bar has room for the name only), wrapped to `columns`.
        func profile(_ columns: Int) -> [HelpLine] {
            guard !s.profileName.isEmpty else { return [] }
            return [.text("")] + TextWidth.wrap("profile \(s.profileName): \(s.profileReason)", columns: max(columns, 10)).map { .text($0.line) }
        }
        var keyColumn = 0
        var what = 0
        for case .binding(let k, let w) in keys {
            keyColumn = max(keyColumn, TextWidth.of(k))
            what = max(what, TextWidth.of(w))
        }
        let width = min(s.width - 2, keyColumn + what + 6)
        let height = min(s.height - 2, keys.count + profile(60).count + 2)
        return HelpPage(width: width, height: height, keyColumn: keyColumn, lines: keys + profile(width - 4))
    }

    /// The largest useful scroll offset (the last line at the bottom).
    public static func helpMaxScroll(_ s: ExplorerState) -> Int {
        let page = helpPage(s)
        return max(0, page.lines.count - (page.height - 2))
    }

    static func help(_ sc: inout Screen, _ s: ExplorerState) {
        let g = helpPage(s)
        let lines = g.lines
        let rows = g.height - 2
        let top = min(s.helpScroll, max(0, lines.count - rows))
        let m = s.keyMap
        let title =
            lines.count > rows
            ? "Keys \(top + 1)-\(min(top + rows, lines.count)) of \(lines.count) · \(m.firstKey(.down, in: .help)) "
                + "\(m.label(.pageDown, in: .help)) scroll · any other key closes"
            : "Keys · any key closes"
        let inner = box(&sc, s, title: title, width: g.width, height: g.height)
        // Key labels are never cut: one too wide for its column continues on the next line, whole names only.
        var y = inner.y
        for line in lines.dropFirst(top) {
            guard y < inner.y + inner.height else { break }
            switch line {
            case .title(let t): sc.put(t, x: inner.x, y: y, maxWidth: inner.width, role: .overlay, bold: true)
            case .text(let t): sc.put(t, x: inner.x, y: y, maxWidth: inner.width, role: .overlay)
            case .binding(let keys, let what):
                let column = min(g.keyColumn, inner.width / 2)
                var rowsOfKeys: [String] = []
                for name in keys.split(separator: " ") {
                    if let last = rowsOfKeys.last, TextWidth.of(last) + 1 + TextWidth.of(name) <= column {
                        rowsOfKeys[rowsOfKeys.count - 1] = last + " " + name
                    } else {
                        rowsOfKeys.append(String(name))
                    }
                }
                sc.put(what, x: inner.x + column + 2, y: y, maxWidth: inner.width - column - 2, role: .overlay)
                for (i, k) in rowsOfKeys.enumerated() where y + i < inner.y + inner.height {
                    sc.put(k, x: inner.x, y: y + i, role: .accent, bold: true)
                }
                y += max(rowsOfKeys.count, 1) - 1
            }
            y += 1
        }
    }
}
