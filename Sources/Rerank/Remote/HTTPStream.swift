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

/// Streams response bodies as they arrive: plain http through our own epoll loop (HTTP1Loop), https through
/// URLSession (URLSessionDataDelegate works on Linux too).
/// A non-2xx answer becomes an `HTTPError` carrying the server's message; cancelling the consumer cancels
/// the request at once.
final class HTTPStreamer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private var session: URLSession!
    private let lock = NSLock()
    private var streams: [Int: (continuation: AsyncThrowingStream<Data, Error>.Continuation, status: Int, body: Data)] = [:]

    private let idleTimeout: TimeInterval

    init(idleTimeout: TimeInterval) {
        self.idleTimeout = idleTimeout
        super.init()
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = idleTimeout  // no byte for this long: the server stalled
        config.timeoutIntervalForResource = 24 * 3600
        config.httpMaximumConnectionsPerHost = 64
        session = URLSession(configuration: config, delegate: self, delegateQueue: nil)
    }

    func invalidate() { session.invalidateAndCancel() }

    /// The response body as it arrives. `interrupt`, when fired, ends the stream at once with its error.
    func stream(_ request: URLRequest, interrupt: Interrupt? = nil) -> AsyncThrowingStream<Data, Error> {
        if request.url?.scheme == "http" {
            return HTTP1Loop.shared.stream(request, idleTimeout: idleTimeout, interrupt: interrupt)
        }
        return AsyncThrowingStream { continuation in
            let task = session.dataTask(with: request)
            lock.lock()
            streams[task.taskIdentifier] = (continuation, 0, Data())
            lock.unlock()
            continuation.onTermination = { @Sendable _ in task.cancel() }
            interrupt?.onFire { error in
                continuation.finish(throwing: error)
                task.cancel()
            }
            task.resume()
        }
    }

    /// The whole body of a (non-streamed) request.
    func data(_ request: URLRequest, interrupt: Interrupt? = nil) async throws -> Data {
        var out = Data()
        for try await chunk in stream(request, interrupt: interrupt) { out.append(chunk) }
        return out
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        lock.lock()
        streams[dataTask.taskIdentifier]?.status = (response as? HTTPURLResponse)?.statusCode ?? 0
        lock.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        guard let s = streams[dataTask.taskIdentifier] else {
            lock.unlock()
            return
        }
        if (200..<300).contains(s.status) {
            lock.unlock()
            s.continuation.yield(data)
        } else {
            streams[dataTask.taskIdentifier]?.body.append(data)
            lock.unlock()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        let s = streams.removeValue(forKey: task.taskIdentifier)
        lock.unlock()
        guard let s else { return }
        if let error {
            s.continuation.finish(throwing: error)
        } else if !(200..<300).contains(s.status) {
            s.continuation.finish(throwing: HTTPError(status: s.status, message: HTTPStreamer.message(from: s.body)))
        } else {
            s.continuation.finish()
        }
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
