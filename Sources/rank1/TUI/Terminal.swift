import CNcurses
import CSupport
import Explorer
import Foundation

/// The only code that calls curses, always from the main thread: set up and restore the terminal,
/// copy the in-memory screen out (changed cells only), and read keys without blocking.
final class Terminal {
    private var previous: Screen?
    private var pairs: [Role: attr_t] = [:]
    private var monochrome = true
    private(set) var width = 80
    private(set) var height = 24
    nonisolated(unsafe) static var active = false

    /// 256-colour overrides per role (from Assets/theme.json).
    private let theme: [Role: (Int16, Int16)]

    init(theme: [Role: (Int16, Int16)] = [:]) {
        self.theme = theme
        setlocale(LC_ALL, "")
        setenv("ESCDELAY", "25", 1)
        initscr()
        Terminal.active = true
        raw()  // Ctrl-C arrives as a key; the app quits cleanly
        noecho()
        nonl()
        keypad(r1_stdscr(), true)
        nodelay(r1_stdscr(), true)
        mousemask(r1_mouse_mask(), nil)
        mouseinterval(0)
        Terminal.writeRaw("\u{1B}[?2004h")  // bracketed paste
        setupColors()
        width = Int(r1_cols())
        height = Int(r1_lines())
    }

    /// Wakes the UI thread's poll() through `fd` on every resize (see r1_watch_resize).
    func wakeOnResize(_ fd: Int32) { r1_watch_resize(fd) }

    static func writeRaw(_ s: String) {
        var bytes = Array(s.utf8)
        _ = write(1, &bytes, bytes.count)
    }

    /// Restores the terminal; safe to call more than once (exit paths and signal handlers).
    static func restore() {
        guard active else { return }
        active = false
        endwin()
        writeRaw("\u{1B}[?2004l")
    }

    private func setupColors() {
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        guard !noColor, has_colors() else { monochrome = true; return }
        start_color()
        use_default_colors()
        monochrome = false
        // (role, foreground, background); -1 is the terminal's default.
        let rich: [(Role, Int16, Int16)] = [
            (.normal, -1, -1), (.dim, 244, -1), (.title, 75, -1), (.accent, 39, -1), (.selected, -1, 236),
            (.highlight, 220, -1), (.good, 71, -1), (.bad, 167, -1), (.warning, 214, -1), (.border, 250, 237),
            (.input, 255, 235), (.current, 16, 153), (.overlay, 255, 238),
        ]
        let cyan = Int16(COLOR_CYAN), yellow = Int16(COLOR_YELLOW), white = Int16(COLOR_WHITE), blue = Int16(COLOR_BLUE)
        let basic: [(Role, Int16, Int16)] = [
            (.normal, -1, -1), (.dim, -1, -1), (.title, cyan, -1), (.accent, cyan, -1), (.selected, -1, -1),
            (.highlight, yellow, -1), (.good, Int16(COLOR_GREEN), -1), (.bad, Int16(COLOR_RED), -1), (.warning, yellow, -1),
            (.border, white, blue), (.input, -1, -1), (.current, Int16(COLOR_BLACK), cyan), (.overlay, white, blue),
        ]
        var palette: [Role: (Int16, Int16)] = [:]
        for (role, fg, bg) in (r1_colors() >= 256 ? rich : basic) { palette[role] = (fg, bg) }
        if r1_colors() >= 256 { for (role, c) in theme { palette[role] = c } }
        for (i, role) in Role.allCases.enumerated() {
            let (fg, bg) = palette[role] ?? (-1, -1)
            init_pair(Int16(i + 1), fg, bg)
            pairs[role] = r1_color_pair(Int32(i + 1))
        }
    }

    private func attributes(_ c: Cell) -> attr_t {
        var a: attr_t = 0
        if monochrome {
            // Without colour, roles become attributes.
            switch c.role {
            case .highlight, .accent, .title: a |= r1_a_bold()
            case .current, .border, .overlay: a |= r1_a_reverse()
            case .dim: a |= r1_a_dim()
            case .bad: a |= r1_a_underline()
            default: break
            }
            if c.reverse && (c.role == .border || c.role == .current) { a &= ~r1_a_reverse() } else if c.reverse { a |= r1_a_reverse() }
        } else {
            a |= pairs[c.role] ?? 0
            if c.reverse && c.role != .border { a |= r1_a_reverse() }
            if c.role == .border && c.reverse { a = pairs[.border] ?? 0 }
        }
        if c.bold { a |= r1_a_bold() }
        return a
    }

    /// Copies the cells that changed since the last frame and places the cursor.
    func draw(_ screen: Screen, cursor: (x: Int, y: Int)?) {
        let full = previous == nil || previous!.width != screen.width || previous!.height != screen.height
        if full { erase() }
        for y in 0..<screen.height {
            var x = 0
            while x < screen.width {
                let c = screen[x, y]
                if !full, let p = previous, p[x, y] == c { x += 1; continue }
                if c.text.isEmpty { x += 1; continue }  // second column of a wide character
                attrset(Int32(bitPattern: UInt32(attributes(c))))
                _ = mvaddstr(Int32(y), Int32(x), c.text)
                x += 1
            }
        }
        attrset(0)
        if let cur = cursor {
            curs_set(1)
            move(Int32(cur.y), Int32(cur.x))
        } else {
            curs_set(0)
        }
        refresh()
        previous = screen
    }

    func invalidate() { previous = nil }

    func updateSize() {
        width = Int(r1_cols())
        height = Int(r1_lines())
    }

    /// Every key waiting now (never blocks). Bracketed paste comes back as one `.paste`.
    func readMessages() -> [Message] {
        var out: [Message] = []
        var pending: [UInt32] = []
        var ch: wint_t = 0
        while true {
            let r = wget_wch(r1_stdscr(), &ch)
            if r == ERR { break }
            if r == r1_key_code_yes() {
                if let m = keyCode(Int32(ch)) { out.append(m) }
                continue
            }
            pending.append(UInt32(ch))
        }
        var i = 0
        while i < pending.count {
            let v = pending[i]
            if v == 27 {
                // ESC: a paste start, Alt+key or a lone Escape.
                let rest = pending[(i + 1)...].map { Character(Unicode.Scalar($0) ?? " ") }
                if String(rest.prefix(5)) == "[200~" {
                    var j = i + 6
                    var text = ""
                    while j < pending.count {
                        if pending[j] == 27, String(pending[(j + 1)...].prefix(5).map { Character(Unicode.Scalar($0) ?? " ") }) == "[201~" {
                            j += 6
                            break
                        }
                        text.unicodeScalars.append(Unicode.Scalar(pending[j]) ?? " ")
                        j += 1
                    }
                    out.append(.paste(text))
                    i = j
                    continue
                }
                if String(rest.prefix(2)) == "[Z" { out.append(.key(.backTab)); i += 3; continue }
                out.append(.key(.escape))
                i += 1
                continue
            }
            switch v {
            case 13, 10: out.append(.key(.enter))
            case 9: out.append(.key(.tab))
            case 127, 8: out.append(.key(.backspace))
            case 1...26: out.append(.key(.ctrl(Character(Unicode.Scalar(v + 96)!))))
            default:
                if let s = Unicode.Scalar(v) { out.append(.key(.char(Character(s)))) }
            }
            i += 1
        }
        return out
    }

    private func keyCode(_ code: Int32) -> Message? {
        switch code {
        case KEY_UP: return .key(.up)
        case KEY_DOWN: return .key(.down)
        case KEY_LEFT: return .key(.left)
        case KEY_RIGHT: return .key(.right)
        case KEY_HOME: return .key(.home)
        case KEY_END: return .key(.end)
        case KEY_PPAGE: return .key(.pageUp)
        case KEY_NPAGE: return .key(.pageDown)
        case KEY_BACKSPACE: return .key(.backspace)
        case KEY_DC: return .key(.delete)
        case KEY_BTAB: return .key(.backTab)
        case KEY_ENTER: return .key(.enter)
        case r1_key_resize():
            updateSize()
            invalidate()
            return .resize(width: width, height: height)
        case r1_key_mouse():
            var ev = MEVENT()
            guard getmouse(&ev) == r1_ok() else { return nil }
            if r1_button4(ev.bstate) != 0 { return .wheel(up: true) }
            if r1_button5(ev.bstate) != 0 { return .wheel(up: false) }
            return .click(x: Int(ev.x), y: Int(ev.y))
        default:
            if code >= KEY_F0 + 1 && code <= KEY_F0 + 12 { return .key(.function(Int(code - KEY_F0))) }
            return nil
        }
    }
}

extension Terminal {
    /// Reads Assets/theme.json: {"role": [fg, bg]}; unknown roles and bad entries are errors.
    static func loadTheme(path: String) throws -> [Role: (Int16, Int16)] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw KeyMapError("\(path): expected a JSON object of role → [foreground, background]")
        }
        let roles = Dictionary(uniqueKeysWithValues: Role.allCases.map { (String(describing: $0), $0) })
        var out: [Role: (Int16, Int16)] = [:]
        for (name, value) in obj where name != "comment" {
            guard let role = roles[name] else { throw KeyMapError("\(path): unknown role \"\(name)\"") }
            guard let pair = value as? [Int], pair.count == 2, pair.allSatisfy({ (-1...255).contains($0) }) else {
                throw KeyMapError("\(path): \"\(name)\" must be [foreground, background], each -1…255")
            }
            out[role] = (Int16(pair[0]), Int16(pair[1]))
        }
        return out
    }
}
