import Explorer
import Foundation
import Rerank
import Retrieval

/// Thread-safe mailbox from the engine's stream consumers to the UI thread, with a pipe that wakes
/// the UI's poll().
final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Message] = []
    let readFD: Int32
    /// The write end: a signal handler may write a byte here to wake the UI thread.
    let writeFD: Int32

    init() {
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        readFD = fds[0]
        writeFD = fds[1]
        _ = fcntl(readFD, F_SETFL, O_NONBLOCK)
        _ = fcntl(writeFD, F_SETFL, O_NONBLOCK)
    }

    func push(_ m: Message) {
        lock.lock()
        items.append(m)
        lock.unlock()
        var b: UInt8 = 1
        _ = write(writeFD, &b, 1)
    }

    func drain() -> [Message] {
        var buf = [UInt8](repeating: 0, count: 256)
        while read(readFD, &buf, buf.count) > 0 {}
        lock.lock()
        defer { lock.unlock() }
        let out = items
        items.removeAll()
        return out
    }
}

/// Appends timestamped lines to a log file; the screen never shows logs.
final class FileLog: @unchecked Sendable {
    private let handle: FileHandle?
    let path: String
    init(path: String) {
        self.path = path
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // O_APPEND: stderr writes to the same file while curses runs (Terminal), and neither may write over the other.
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        handle = fd >= 0 ? FileHandle(fileDescriptor: fd, closeOnDealloc: true) : nil
    }
    func log(_ s: String) { handle?.write(Data("\(Date()) \(s)\n".utf8)) }
}

/// Runs the explorer: one thread owns curses and the state; keys are drained without blocking; engine
/// events arrive through the inbox; redraws happen only when the state changed, at most 60 per second.
/// Confined to the UI thread (handed to it once, at start).
final class ExplorerApp: @unchecked Sendable {
    let reader: IndexReader
    let engine: (any Reranker)?
    let inbox = Inbox()
    let log: FileLog
    var state: ExplorerState
    let latencyTrace: String?
    var keyLatencies: [Double] = []
    /// Searches, lookups and rerank jobs (shared with `rank1 bench explorer`).
    let effects: ExplorerEffects

    init(reader: IndexReader, setup: ExplorerSetup, engine: (any Reranker)?, logPath: String, latencyTrace: String?) throws {
        self.reader = reader
        self.engine = engine
        let log = FileLog(path: logPath)
        self.log = log
        let inbox = self.inbox
        effects = try ExplorerEffects(reader: reader, engine: engine, deliver: { inbox.push($0) }, log: { log.log($0) })
        self.latencyTrace = latencyTrace
        state = ExplorerState(setup: setup)
    }

    static func now() -> Double { monotonicSeconds() }

    /// 256-colour overrides per screen role (Assets/theme.json).
    var theme: [Role: (Int16, Int16)] = [:]

    /// The UI loop; returns when the user quits (a termination signal restores the terminal and exits).
    func run() {
        let term = Terminal(theme: theme, stderrTo: log.path)
        defer { Terminal.restore() }
        term.wakeOnResize(inbox.writeFD)
        _ = Explorer.update(&state, .resize(width: term.width, height: term.height))
        var lastDrawn: ExplorerState?
        var lastDrawTime = 0.0
        var pendingKeyTimes: [Double] = []
        log.log("explorer started on \(reader.path)")
        while !state.quit && !ExplorerApp.terminated {
            let running = state.job.map { !$0.finished && !$0.cancelled } ?? false
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: inbox.readFD, events: Int16(POLLIN), revents: 0)]
            let sinceDraw = (ExplorerApp.now() - lastDrawTime) * 1000
            let timeout: Int32 = lastDrawn != state ? Int32(max(0, 16 - sinceDraw)) : (running ? 100 : 1000)
            // A lone ESC is read as the Escape key once no byte followed it for the escape delay.
            _ = poll(&fds, 2, term.inputPending ? min(timeout, Int32(Terminal.escapeDelay * 1000) + 1) : timeout)
            var messages = term.readMessages(now: ExplorerApp.now())
            let keyTime = ExplorerApp.now()
            if messages.contains(where: { if case .key = $0 { true } else if case .paste = $0 { true } else { false } }) {
                pendingKeyTimes.append(keyTime)
            }
            messages += inbox.drain()
            messages.append(.tick(now: ExplorerApp.now()))
            var effects: [Effect] = []
            for m in messages { effects += Explorer.update(&state, m) }
            func redraw() {
                let (screen, cursor) = View.render(state)
                term.draw(screen, cursor: cursor)
                lastDrawn = state
                lastDrawTime = ExplorerApp.now()
                // Recorded only when asked for: memory must not grow with the history of keys.
                if latencyTrace != nil { for t in pendingKeyTimes { keyLatencies.append((lastDrawTime - t) * 1000) } }
                pendingKeyTimes.removeAll()
            }
            // What was typed (or pasted) is on screen before the search runs.
            if !pendingKeyTimes.isEmpty && effects.contains(where: { if case .search = $0 { true } else { false } }) { redraw() }
            self.effects.perform(effects, on: &state)
            // Coalesced redraw: when something changed, at most every 16 ms; after a key or paste at once.
            if lastDrawn != state && (ExplorerApp.now() - lastDrawTime) * 1000 >= 16 || !pendingKeyTimes.isEmpty { redraw() }
        }
        engine?.cancel()
        log.log("explorer closed")
    }

    nonisolated(unsafe) static var terminated = false

    /// Restores the terminal on SIGTERM/SIGINT/SIGHUP and on crashes.
    static func installSignalHandlers() {
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig) { s in
                ExplorerApp.terminated = true
                Terminal.restore()
                _exit(128 + s)  // the shell's convention: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP
            }
        }
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            signal(sig) { s in
                Terminal.restore()
                Terminal.sayWhereTheCrashIs()
                signal(s, SIG_DFL)
                raise(s)
            }
        }
    }

    func writeLatencyReport() {
        guard let path = latencyTrace else { return }
        let text = String(
            format: "keys %d p50 %.2f ms p99 %.2f ms max %.2f ms\nsearch %d p50 %.2f ms p99 %.2f ms\n",
            keyLatencies.count, percentile(keyLatencies, 0.5), percentile(keyLatencies, 0.99), keyLatencies.max() ?? .nan,
            effects.searchLatencies.count, percentile(effects.searchLatencies, 0.5), percentile(effects.searchLatencies, 0.99))
        // Called after the terminal is restored, so a failure can be said.
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            printError("rank1: cannot write the latency report to \(path): \(error.localizedDescription)")
        }
    }
}
