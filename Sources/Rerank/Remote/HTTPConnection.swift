import CSupport
import Foundation
import NIOCore
import NIOSSL
import NIOTLS

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One request's answer on its way to the reader: the status, the body (handed on as it arrives when 2xx, else kept
/// as the error's message), the end. Touched on the event loop only (`cancel` hops there first).
final class HTTPExchange: @unchecked Sendable {
    private let body: HTTPBody.State
    let loop: any EventLoop
    /// Answered, failed or cancelled: nothing more reaches the reader.
    private(set) var finished = false
    /// The connection carrying it, once it has one.
    var connection: HTTPConnection?
    /// The whole request's deadline (probes), if it has one.
    var timer: Scheduled<Void>?
    /// Where it goes and what it says, kept to send it again once (`HTTPConnection.failed`).
    var target: HTTPTarget?
    /// The request as asked, and the redirects followed so far.
    private var request: URLRequest
    private var redirects = 0
    private var errorBody = Data()

    init(_ body: HTTPBody.State, request: URLRequest, loop: any EventLoop) {
        self.body = body
        self.request = request
        self.loop = loop
    }

    /// The request again at a redirect's `location`, as clients do: 307 and 308 keep the method and body; 301, 302
    /// and 303 are followed by a GET only (a POST redirected so would lose its body: it fails naming the new
    /// address). At most 5; the key goes only to the same scheme, host and port.
    func redirected(status: Int, to location: String) -> Result<HTTPTarget, Error> {
        Result {
            redirects += 1
            guard redirects <= 5 else { throw URLError(.httpTooManyRedirects) }
            guard let from = request.url, let to = URL(string: location, relativeTo: from)?.absoluteURL else {
                throw URLError(.badServerResponse, userInfo: [NSLocalizedDescriptionKey: "a redirect to \(location)"])
            }
            let method = request.httpMethod ?? "GET"
            guard status == 307 || status == 308 || method == "GET" else {
                throw HTTPError(status: status, message: "the server redirects \(method) \(from.path) to \(to.absoluteString); give that address")
            }
            var next = request
            next.url = to
            if (from.scheme, from.host, from.port) != (to.scheme, to.host, to.port) {
                next.setValue(nil, forHTTPHeaderField: "Authorization")
            }
            request = next
            errorBody.removeAll()
            return try HTTPTarget(next)
        }
    }

    /// Body bytes: handed on for a 2xx answer, else kept (the first 64 KiB) as the error's message.
    func received(_ bytes: UnsafeBufferPointer<UInt8>, status: Int) {
        if finished { return }
        if (200..<300).contains(status) {
            body.yield(Data(buffer: bytes))
        } else if errorBody.count < 64 << 10 {
            errorBody.append(contentsOf: bytes.prefix((64 << 10) - errorBody.count))
        }
    }

    /// The response is complete.
    func end(status: Int) {
        finish((200..<300).contains(status) ? nil : HTTPError(status: status, message: HTTPStreamer.message(from: errorBody)))
    }

    /// The exchange failed (its connection broke, it timed out, it was interrupted): the reader gets `error`, and a
    /// connection left inside a response is closed, never reused.
    func fail(_ error: Error) {
        guard !finished else { return }
        finish(error)
        connection?.close()
    }

    /// The reader went away: the request stops (its connection is closed: a response half read cannot be reused).
    func cancel() {
        onLoop { [self] in
            guard !finished else { return }
            finished = true
            timer?.cancel()
            connection?.close()
        }
    }

    func onLoop(_ body: @escaping @Sendable () -> Void) {
        if loop.inEventLoop { body() } else { loop.execute(body) }
    }

    private func finish(_ error: Error?) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        body.finish(error)
    }
}

/// One kept-alive HTTP/1.1 connection and the handler at the end of its pipeline (after NIOSSL for https): it writes
/// one request at a time, reads its response with `HTTPResponseParser`, and goes back to its pool when the response
/// ends and both sides keep the connection. Lives on its channel's event loop.
final class HTTPConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let channel: any Channel
    let key: String
    private let pool: HTTPPool
    private var exchange: HTTPExchange?
    private var parser = HTTPResponseParser()
    private var broken = false
    /// Responses this connection has carried, and whether the current one has sent any byte back yet.
    private var served = 0
    private var answered = false
    /// When the current request went out (monotonic seconds).
    private var sentAt = 0.0
    /// Bounds the TLS handshake (the stream's watchdog starts later, and a probe's own timer is not every request's).
    private var handshakeTimer: Scheduled<Void>?
    static let handshakeLimit = TimeAmount.seconds(10)
    /// When it last went idle (monotonic seconds), for the pool's idle limit.
    var idleSince = 0.0

    init(channel: any Channel, key: String, pool: HTTPPool) {
        self.channel = channel
        self.key = key
        self.pool = pool
    }

    /// Free for a new request: open, between responses.
    var usable: Bool { exchange == nil && !broken && channel.isActive }

    func send(_ ex: HTTPExchange, request: ByteBuffer) {
        exchange = ex
        ex.connection = self
        parser = HTTPResponseParser()
        answered = false
        sentAt = r1_monotonic_seconds()
        // A write that fails without closing the channel would leave the request waiting for its watchdog.
        channel.writeAndFlush(request).whenFailure { [self] e in
            if exchange === ex { fail(e) }
        }
    }

    /// Starts the handshake's clock (https); it stops at the handshake's end.
    func boundHandshake() {
        handshakeTimer = channel.eventLoop.scheduleTask(in: HTTPConnection.handshakeLimit) { [self] in
            fail(URLError(.secureConnectionFailed, userInfo: [NSLocalizedDescriptionKey: "the TLS handshake timed out"]))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent {
            handshakeTimer?.cancel()
            handshakeTimer = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func close() {
        broken = true
        channel.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        // Bytes with no request waiting for them: the server is not speaking HTTP/1.1 as asked.
        guard let ex = exchange else { return close() }
        answered = true
        let read = buffer.withUnsafeReadableBytes { bytes in
            Result { try parser.feed(bytes) { ex.received($0, status: $1) } }
        }
        switch read {
        case .failure(let e):
            fail(e)
        case .success(nil):
            break
        case .success(let used?):
            exchange = nil
            served += 1
            // An error answer may come before the server read the whole request, and bytes past the answer are none
            // of ours: such a connection is not reused.
            if [301, 302, 303, 307, 308].contains(parser.status), let location = parser.location, !ex.finished {
                close()
                switch ex.redirected(status: parser.status, to: location) {
                case .success(let next): pool.start(ex, next)
                case .failure(let e): ex.fail(e)
                }
                return
            }
            let reuse = parser.keepAlive && (200..<300).contains(parser.status) && !ex.finished && used == buffer.readableBytes
            ex.end(status: parser.status)
            if reuse { pool.release(self) } else { close() }
        }
    }

    private func fail(_ error: Error) {
        broken = true
        if let ex = exchange {
            exchange = nil
            failed(ex, HTTPStreamer.translate(error))
        }
        channel.close(promise: nil)
    }

    /// A kept-alive connection the server had closed as the request went out (its idle timeout: 5 s for uvicorn
    /// and llama-server) fails at once, before any byte comes back: the request goes again, once, on a new
    /// connection, as browsers do. Only then: a request that failed later may have been at work on the server.
    /// (`ex.target` is set only for a request sent on a connection from the pool.)
    private func failed(_ ex: HTTPExchange, _ error: Error) {
        if !answered && r1_monotonic_seconds() - sentAt < 2, let target = ex.target, !ex.finished {
            ex.target = nil
            ex.connection = nil
            pool.start(ex, target, fresh: true)
        } else {
            ex.fail(error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A TLS peer that closes without close_notify ends a body that runs until close, as a plain close would.
        if let s = error as? NIOSSLError, case .uncleanShutdown = s, parser.endsAtClose() { return }
        fail(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        broken = true
        handshakeTimer?.cancel()
        if let ex = exchange {
            exchange = nil
            if parser.endsAtClose() { ex.end(status: parser.status) } else { failed(ex, URLError(.networkConnectionLost)) }
        }
        context.fireChannelInactive()
    }
}
