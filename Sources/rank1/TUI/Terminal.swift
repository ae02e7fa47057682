import CNcurses
import CSupport
import Explorer
import Foundation
import Retrieval

/// The only code that calls curses, always from the UI's one thread (rank1-ui): set up and restore the terminal,
/// copy the in-memory screen out (changed cells only), and read input bytes (decoded by KeyDecoder) without blocking.
final class Terminal {
    private var previous: Screen?
    private var pairs: [Role: attr_t] = [:]
    private var monochrome = true
    private(set) var width = 80
    private(set) var height = 24
    nonisolated(unsafe) static var active = false

    /// 256-colour overrides per role (from Assets/theme.json).
    private let theme: [Role: (Int16, Int16)]

    /// `stderrTo`: while curses owns the screen, stderr goes to this file (a crash's message written to the
    /// alternate screen would vanish with it); restore() points it back.
    init(theme: [Role: (Int16, Int16)] = [:], stderrTo log: String? = nil) {
        self.theme = theme
        if let log {
            let fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0o644)
            if fd >= 0 {
                Terminal.savedStderr = dup(2)
                dup2(fd, 2)
                close(fd)
                Terminal.crashNote = Array("rank1: the explorer crashed; its last words are at the end of \(log)\n".utf8)
            }
        }
        setlocale(LC_ALL, "")
        initscr()
        Terminal.active = true
        raw()  // Ctrl-C arrives as a key; the app quits cleanly
        noecho()
        nonl()
        // Keys are decoded by Explorer's KeyDecoder from the bytes on stdin, not by curses: keypad stays off (so
        // the terminal is left in its normal cursor mode) and mouse and paste reporting are asked for here.
        keypad(r1_stdscr(), false)
        Terminal.writeRaw("\u{1B}[?2004h\u{1B}[?1002h\u{1B}[?1006h")  // bracketed paste; mouse buttons and drags, SGR form
        setupColors()
        updateSize()
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
        writeRaw("\u{1B}[?1006l\u{1B}[?1002l\u{1B}[?2004l")
        if savedStderr >= 0 {
            dup2(savedStderr, 2)
            close(savedStderr)
            savedStderr = -1
        }
    }

    nonisolated(unsafe) private static var savedStderr: Int32 = -1
    nonisolated(unsafe) private static var crashNote: [UInt8] = []

    /// From a crash handler, after restore(): where the crash's message went (only write(2): signal-safe).
    static func sayWhereTheCrashIs() {
        crashNote.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }

    private func setupColors() {
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        guard !noColor, has_colors() else {
            monochrome = true
            return
        }
        start_color()
        use_default_colors()
        monochrome = false
        // (role, foreground, background); -1 is the terminal's default.
        let rich: [(Role, Int16, Int16)] = [
            (.normal, -1, -1), (.dim, 244, -1), (.title, 75, -1), (.accent, 39, -1), (.selected, -1, 236),
            (.highlight, 220, -1), (.good, 71, -1), (.bad, 167, -1), (.warning, 214, -1), (.border, 250, 237),
            (.input, 255, 235), (.current, 16, 153), (.overlay, 255, 238), (.quoted, -1, 22), (.unsupported, 174, -1),
        ]
        let cyan = Int16(COLOR_CYAN)
        let yellow = Int16(COLOR_YELLOW)
        let white = Int16(COLOR_WHITE)
        let blue = Int16(COLOR_BLUE)
        let basic: [(Role, Int16, Int16)] = [
            (.normal, -1, -1), (.dim, -1, -1), (.title, cyan, -1), (.accent, cyan, -1), (.selected, -1, -1),
            (.highlight, yellow, -1), (.good, Int16(COLOR_GREEN), -1), (.bad, Int16(COLOR_RED), -1), (.warning, yellow, -1),
            (.border, white, blue), (.input, -1, -1), (.current, Int16(COLOR_BLACK), cyan), (.overlay, white, blue),
            (.quoted, Int16(COLOR_BLACK), Int16(COLOR_GREEN)), (.unsupported, Int16(COLOR_MAGENTA), -1),
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
            case .dim, .unsupported: a |= r1_a_dim()
            case .bad, .quoted: a |= r1_a_underline()
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
                if !full, let p = previous, p[x, y] == c {
                    x += 1
                    continue
                }
                if c.text.isEmpty {
                    x += 1
                    continue
                }  // second column of a wide character
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

    private var decoder = KeyDecoder()
    private var lastByte = 0.0
    /// How long a lone ESC waits for the rest of a sequence before it counts as the Escape key.
    static let escapeDelay = 0.025
    /// How long an unfinished bracketed paste waits for its end marker before what came is taken as the paste.
    static let pasteDelay = 1.0

    /// True while a lone ESC (or a cut sequence) waits: the caller polls again within `escapeDelay`.
    var inputPending: Bool { decoder.hasPending }

    /// Every key, paste, click and resize waiting now (never blocks): the bytes on stdin through the key decoder,
    /// and the window size as the kernel has it.
    func readMessages(now: Double) -> [Message] {
        var out: [Message] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
        while poll(&fds, 1, 0) > 0 && fds[0].revents & Int16(POLLIN) != 0 {
            let n = read(0, &buffer, buffer.count)
            guard n > 0 else { break }
            out += decoder.feed(buffer[0..<n])
            lastByte = now
        }
        if decoder.hasPending && now - lastByte >= Terminal.pasteDelay {
            out += decoder.abandonPaste()
        } else if decoder.hasPending && now - lastByte >= Terminal.escapeDelay {
            out += decoder.flush()
        }
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0,
            Int(size.ws_col) != width || Int(size.ws_row) != height
        {
            resizeterm(Int32(size.ws_row), Int32(size.ws_col))
            updateSize()
            invalidate()
            out.append(.resize(width: width, height: height))
        }
        return out
    }
}

extension Terminal {
    /// Reads Assets/theme.json: {"role": [fg, bg]}; unknown roles and bad entries are errors.
    static func loadTheme(path: String) throws -> [Role: (Int16, Int16)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw KeyMapError("\(path): cannot be read") }
        let obj: [String: Any]
        do { obj = try JSONObjectText.object(data) } catch {
            throw KeyMapError("\(path): \(error.message); expected a JSON object of role → [foreground, background]")
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
