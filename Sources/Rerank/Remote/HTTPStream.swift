import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An HTTP error answer: the status and the server's message.
public struct HTTPError: Error, CustomStringConvertible, Sendable {
    public var status: Int
    public var message: String
    public var description: String { "HTTP \(status): \(message)" }
}

/// Streams response bodies as they arrive, http and https alike, over SwiftNIO's HTTP/1.1 codec (and NIOSSL for
/// https) with a pool of kept-alive connections of our own (HTTPPool.swift): TLS trusts the system's roots plus the
/// configuration's private CA (`--ca-file`). A non-2xx answer becomes an `HTTPError` carrying the server's message;
/// NIO's failures become the `URLError`s the retry and failover rules name (Retrying.swift); cancelling the
/// consumer closes the request's connection at once.
final class HTTPStreamer: Sendable {
    private let pool: HTTPPool

    init(caFile: String? = nil) {
        pool = HTTPClients.shared.pool(caFile: caFile)
    }

    /// The response body as it arrives. `interrupt`, when fired, ends the stream at once with its error;
    /// `timeout` bounds the whole request (probes); streams are timed by their watchdog (Deadlines.swift).
    /// Body parts go from the connection's handler straight to the consumer, which runs on the same event loop
    /// (HTTPClients.executor): no thread hop per read.
    func stream(_ request: URLRequest, timeout: TimeInterval? = nil, interrupt: Interrupt? = nil) -> HTTPBody {
        let body = HTTPBody()
        let target: HTTPTarget
        do { target = try HTTPTarget(request) } catch {
            body.state.finish(error)
            return body
        }
        let pool = self.pool
        let ex = HTTPExchange(body.state, request: request, loop: pool.loop)
        body.state.setOnCancel { ex.cancel() }
        interrupt?.onFire { [state = body.state] error in
            state.finish(error)
            ex.cancel()
        }
        ex.onLoop {
            if ex.finished { return }  // interrupted already
            if let timeout {
                ex.timer = pool.loop.scheduleTask(in: .nanoseconds(Int64(timeout * 1e9))) { ex.fail(URLError(.timedOut)) }
            }
            pool.start(ex, target)
        }
        return body
    }

    /// The whole body of a (non-streamed) request.
    func data(_ request: URLRequest, timeout: TimeInterval? = nil, interrupt: Interrupt? = nil) async throws -> Data {
        var out = Data()
        for try await chunk in stream(request, timeout: timeout, interrupt: interrupt) { out.append(chunk) }
        try Task.checkCancellation()  // a cancelled reader's body ends early: not a whole body
        return out
    }

    /// The `error.message` of an OpenAI-style error body, else the body's text.
    static func message(from body: Data) -> String {
        if let obj = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let e = obj["error"] as? [String: Any], let m = e["message"] as? String { return m }
            if let m = obj["message"] as? String { return m }
            if let d = obj["detail"] { return "\(d)" }
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(no message)" : text
    }
}
