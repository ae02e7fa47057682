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
        let first = { (a: Action) in s.keyMap.label(a, in: .list).split(separator: " ").first.map(String.init) ?? "?" }
        return "\(first(.open)) opens, \(first(.close)) closes"
    }

    /// Every line of the help for a box `columns` wide inside.
    public static func helpLines(_ s: ExplorerState, columns: Int) -> [HelpLine] {
        var out: [HelpLine] = []
        for context in KeyContext.allCases {
            if !out.isEmpty { out.append(.text("")) }
            out.append(.title(context.title))
            for a in context.actions { out.append(.binding(keys: s.keyMap.label(a, in: context), what: s.keyMap.description(a, in: context))) }
        }
        out += [.text(""), .binding(keys: "Ctrl-c", what: "quit, from anywhere"), .binding(keys: "mouse", what: "wheel scrolls, click selects")]
        // Which profile judges and why (the status bar has room for the name only).
        if !s.profileName.isEmpty {
            out.append(.text(""))
            out += TextWidth.wrap("profile \(s.profileName): \(s.profileReason)", columns: max(columns, 10)).map { .text($0.line) }
        }
        return out
    }

    /// The help's box: wide enough for the widest key label and description, as the screen allows.
    static func helpGeometry(_ s: ExplorerState) -> (width: Int, height: Int, keyColumn: Int) {
        let probe = helpLines(s, columns: 60)
        var keyColumn = 0
        var what = 0
        for case .binding(let k, let w) in probe {
            keyColumn = max(keyColumn, TextWidth.of(k))
            what = max(what, TextWidth.of(w))
        }
        return (min(s.width - 2, keyColumn + what + 6), min(s.height - 2, probe.count + 2), keyColumn)
    }

    /// The largest useful scroll offset (the last line at the bottom).
    public static func helpMaxScroll(_ s: ExplorerState) -> Int {
        let g = helpGeometry(s)
        return max(0, helpLines(s, columns: g.width - 4).count - (g.height - 2))
    }

    static func help(_ sc: inout Screen, _ s: ExplorerState) {
        let g = helpGeometry(s)
        let lines = helpLines(s, columns: g.width - 4)
        let rows = g.height - 2
        let top = min(s.helpScroll, max(0, lines.count - rows))
        let m = s.keyMap
        let title =
            lines.count > rows
            ? "Keys \(top + 1)-\(min(top + rows, lines.count)) of \(lines.count) · \(m.label(.down, in: .help).split(separator: " ").first ?? "") "
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
