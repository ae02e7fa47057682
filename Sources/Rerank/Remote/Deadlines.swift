import Foundation

/// Remote failures the client decides on itself.
enum RemoteFailure: Error, CustomStringConvertible {
    static let endpointHint = "is --endpoint the server's OpenAI-compatible URL, e.g. http://host:8000/v1?"

    case stalled(TimeInterval)
    /// Stalls added up past the passage's stall budget: (a stall's length, the stalled seconds in all, the budget).
    case stalledTooLong(TimeInterval, total: TimeInterval, budget: TimeInterval)
    case deadline(TimeInterval)
    case noAnswer(TimeInterval, String)
    /// An HTML (or other) page where an event stream or JSON was expected: the head of it, and what was expected.
    case page(String, expected: String)
    case overlongLine(Int)
    case invalidUTF8
    /// The stream ended ([DONE]) with no finish_reason while the chain was open: the server cut it.
    case interrupted
    /// The connection ended mid-stream, without [DONE] (a server that died or a proxy that cut it).
    case truncated
    /// The server ended a stream for "length" before the tokens asked for: its context is full (the chain's tokens so far).
    case contextEnded(Int)
    var description: String {
        switch self {
        case .page(let head, let expected):
            return "the server answered with a page, not \(expected) (\"\(head.prefix(60))…\"): \(RemoteFailure.endpointHint)"
        case .overlongLine(let n): return "the server sent a line longer than \(n >> 20) MiB in its event stream (not an OpenAI-compatible stream?)"
        case .invalidUTF8: return "the server sent bytes that are not UTF-8 in its event stream"
        case .interrupted:
            return "the server ended the stream without a finish_reason before the chain closed (it cut the stream: "
                + "llama-cpp-python's server does so whenever another request reaches it, a health check of /v1/models included; "
                + "start it with --interrupt_requests false)"
        case .truncated: return "the stream ended before the server finished it (truncated)"
        case .contextEnded(let n):
            return "the server's context ended after \(n) reasoning tokens (it stopped for \"length\" before the budget): "
                + "start it with a larger context (vLLM --max-model-len, llama-server --ctx-size, llama-cpp-python --n_ctx) "
                + "or lower --budget / --max-passage-tokens"
        case .noAnswer(let s, let url):
            return String(format: "the server at %@ did not answer within %.0f s (is it overloaded, or not an OpenAI-compatible server?)", url, s)
        case .stalled(let s): return String(format: "the server stalled (no token for %.0f s)", s)
        case .stalledTooLong(let s, let total, let budget):
            return String(
                format: "the server stalled again (no token for %.0f s; %.0f s stalled in all for this passage, past --stall-budget %.0f)", s,
                total, budget)
        case .deadline(let s): return String(format: "no verdict within the passage deadline (%.0f s)", s)
        }
    }
}

/// When a passage's judgment started and last made progress (a token, an answer), read by its watchdog.
final class ProgressClock: @unchecked Sendable {
    private let lock = NSLock()
    private let start = monotonicNow()
    private var last = monotonicNow()
    private var signal = Interrupt()
    /// Seconds this passage's requests stalled in all, and whether the current request's stall is counted.
    private(set) var stalledSeconds: TimeInterval = 0
    private var counted = false

    var sinceStart: TimeInterval { monotonicNow() - start }
    var sinceProgress: TimeInterval { lock.withLock { monotonicNow() - last } }
    func progressed() { lock.withLock { last = monotonicNow() } }
    /// A fresh interrupt for the next request; the watchdog fires it when no token came for the stall timeout.
    func nextRequest() -> Interrupt {
        lock.withLock {
            last = monotonicNow()
            signal = Interrupt()
            counted = false
            return signal
        }
    }

    /// The current request stalled (`stall` seconds without a token): it is ended with `.stalled`, or with
    /// `.stalledTooLong` once the passage's stalls add up to `budget`. Counted once per request.
    func stalled(_ stall: TimeInterval, budget: TimeInterval) {
        let (s, error): (Interrupt, Error) = lock.withLock {
            if !counted {
                counted = true
                stalledSeconds += stall
            }
            let e: Error =
                stalledSeconds >= budget
                ? RemoteFailure.stalledTooLong(stall, total: stalledSeconds, budget: budget) : RemoteFailure.stalled(stall)
            return (signal, e)
        }
        s.fire(error)
    }
}

/// Ends a request from outside: the watchdog fires it, the request's stream fails at once with the error
/// (a server that sends nothing, or trickles bytes, cannot hold a client; the transport has no timer of its own).
final class Interrupt: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    private var handler: ((Error) -> Void)?

    func fire(_ e: Error) {
        let h: ((Error) -> Void)? = lock.withLock {
            guard error == nil else { return nil }
            error = e
            return handler
        }
        h?(e)
    }

    /// Runs `h` when fired (at once if it already was).
    func onFire(_ h: @escaping (Error) -> Void) {
        let fired: Error? = lock.withLock {
            handler = h
            return error
        }
        if let fired { h(fired) }
    }
}

/// Runs `body` against `watchdog`, which ends the race only by throwing (a deadline, a stall): whichever finishes
/// first decides, and the other is cancelled (which closes the body's requests).
func race<T: Sendable>(
    _ body: @escaping @Sendable () async throws -> T,
    watchdog: @escaping @Sendable () async throws -> Void
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await watchdog()
            return nil
        }
        defer { group.cancelAll() }
        while let r = try await group.next() { if let r { return r } }
        throw CancellationError()
    }
}

/// `body`, or `error` once `seconds` have passed.
func withTimeout<T: Sendable>(_ seconds: TimeInterval, _ error: Error, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await race(body) {
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        throw error
    }
}
