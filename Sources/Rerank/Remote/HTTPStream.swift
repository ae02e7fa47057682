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

    init(idleTimeout: TimeInterval, caFile: String? = nil) {
        client = HTTPClients.shared.client(idleTimeout: idleTimeout, caFile: caFile)
    }

    /// The response body as it arrives. `interrupt`, when fired, ends the stream at once with its error;
    /// `timeout` bounds the whole request (probes), else only the idle time between bytes does.
    func stream(_ request: URLRequest, timeout: TimeInterval? = nil, interrupt: Interrupt? = nil) -> AsyncThrowingStream<Data, Error> {
        AsyncThrowingStream { continuation in
            let client = self.client
            let task = Task {
                do {
                    let deadline = NIODeadline.now() + .nanoseconds(Int64((timeout ?? 7 * 24 * 3600) * 1e9))
                    let response = try await client.execute(try HTTPStreamer.request(request), deadline: deadline)
                    guard (200..<300).contains(response.status.code) else {
                        throw HTTPError(status: Int(response.status.code), message: HTTPStreamer.message(from: try await HTTPStreamer.head(of: response.body)))
                    }
                    for try await chunk in response.body { continuation.yield(Data(chunk.readableBytesView)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: HTTPStreamer.translate(error))
                }
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

    static func request(_ r: URLRequest) throws -> HTTPClientRequest {
        guard let url = r.url else { throw URLError(.badURL) }
        var out = HTTPClientRequest(url: url.absoluteString)
        out.method = HTTPMethod(rawValue: r.httpMethod ?? "GET")
        for (k, v) in r.allHTTPHeaderFields ?? [:] { out.headers.add(name: k, value: v) }
        if let body = r.httpBody { out.body = .bytes(ByteBuffer(bytes: body)) }
        return out
    }

    /// An error answer's first 64 KiB (its message), the rest drained unread.
    private static func head(of body: HTTPClientResponse.Body) async throws -> Data {
        var out = Data()
        for try await chunk in body where out.count < 64 << 10 { out.append(contentsOf: chunk.readableBytesView.prefix((64 << 10) - out.count)) }
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
