import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An HTTP error answer: the status and the server's message.
public struct HTTPError: Error, CustomStringConvertible, Sendable {
    public var status: Int
    public var message: String
    public var description: String { "HTTP \(status): \(message)" }
}

/// Streams response bodies as they arrive, http and https alike, through AsyncHTTPClient (SwiftNIO): connections
/// are kept alive and reused, TLS trusts the system's roots plus the configuration's private CA (`--ca-file`).
/// A non-2xx answer becomes an `HTTPError` carrying the server's message; NIO's failures become the `URLError`s
/// the retry and failover rules name (Retrying.swift); cancelling the consumer cancels the request at once.
final class HTTPStreamer: Sendable {
    private let client: HTTPClient

    init(caFile: String? = nil) {
        client = HTTPClients.shared.client(caFile: caFile)
    }

    /// The response body as it arrives. `interrupt`, when fired, ends the stream at once with its error;
    /// `timeout` bounds the whole request (probes); streams are timed by their watchdog (Deadlines.swift).
    /// The body parts are handed over from the event loop straight to the consumer (a delegate, not the async body
    /// sequence and a task between: one thread hop per read instead of two, half the client's CPU per token).
    func stream(_ request: URLRequest, timeout: TimeInterval? = nil, interrupt: Interrupt? = nil) -> AsyncThrowingStream<Data, Error> {
        AsyncThrowingStream { continuation in
            let task: HTTPClient.Task<Void>
            do {
                let deadline = timeout.map { NIODeadline.now() + .nanoseconds(Int64($0 * 1e9)) }
                task = client.execute(request: try HTTPStreamer.request(request), delegate: BodyStream(continuation), deadline: deadline)
            } catch {
                continuation.finish(throwing: HTTPStreamer.translate(error))
                return
            }
            continuation.onTermination = { _ in task.cancel() }
            interrupt?.onFire { error in
                continuation.finish(throwing: error)
                task.cancel()
            }
        }
    }

    /// The whole body of a (non-streamed) request.
    func data(_ request: URLRequest, timeout: TimeInterval? = nil, interrupt: Interrupt? = nil) async throws -> Data {
        var out = Data()
        for try await chunk in stream(request, timeout: timeout, interrupt: interrupt) { out.append(chunk) }
        return out
    }

    static func request(_ r: URLRequest) throws -> HTTPClient.Request {
        guard let url = r.url else { throw URLError(.badURL) }
        var headers = HTTPHeaders()
        for (k, v) in r.allHTTPHeaderFields ?? [:] { headers.add(name: k, value: v) }
        return try HTTPClient.Request(
            url: url, method: HTTPMethod(rawValue: r.httpMethod ?? "GET"), headers: headers, body: r.httpBody.map { .bytes($0) })
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

/// A response's body handed to a stream as it arrives (2xx), or its first 64 KiB kept as the error's message.
/// AsyncHTTPClient calls it on the request's event loop only, one call at a time.
private final class BodyStream: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = Void
    private let continuation: AsyncThrowingStream<Data, Error>.Continuation
    private var status = 0
    private var errorBody = Data()

    init(_ continuation: AsyncThrowingStream<Data, Error>.Continuation) { self.continuation = continuation }

    private var success: Bool { (200..<300).contains(status) }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = Int(head.status.code)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        if success {
            continuation.yield(Data(buffer.readableBytesView))
        } else if errorBody.count < 64 << 10 {
            errorBody.append(contentsOf: buffer.readableBytesView.prefix((64 << 10) - errorBody.count))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: Error) {
        continuation.finish(throwing: HTTPStreamer.translate(error))
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {
        if success {
            continuation.finish()
        } else {
            continuation.finish(throwing: HTTPError(status: status, message: HTTPStreamer.message(from: errorBody)))
        }
    }
}
