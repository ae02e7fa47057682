import Foundation
import NIOCore
import NIOHTTP1

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
    private var status = 0
    private var errorBody = Data()

    init(_ body: HTTPBody.State, loop: any EventLoop) {
        self.body = body
        self.loop = loop
    }

    var succeeded: Bool { (200..<300).contains(status) }

    func head(_ h: HTTPResponseHead) { status = Int(h.status.code) }

    func received(_ buffer: ByteBuffer) {
        if finished { return }
        if succeeded {
            body.yield(Data(buffer.readableBytesView))
        } else if errorBody.count < 64 << 10 {
            errorBody.append(contentsOf: buffer.readableBytesView.prefix((64 << 10) - errorBody.count))
        }
    }

    /// The response is complete.
    func end() {
        finish(succeeded ? nil : HTTPError(status: status, message: HTTPStreamer.message(from: errorBody)))
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

/// One kept-alive HTTP/1.1 connection and the handler at the end of its pipeline (after NIO's HTTP codec and, for
/// https, NIOSSL): it carries one exchange at a time and goes back to its pool when a response ends and both sides
/// keep the connection. Lives on its channel's event loop.
final class HTTPConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    let channel: any Channel
    let key: String
    private let pool: HTTPPool
    private var exchange: HTTPExchange?
    private var keepAlive = false
    private var broken = false
    /// When it last went idle (monotonic seconds), for the pool's idle limit.
    var idleSince = 0.0

    init(channel: any Channel, key: String, pool: HTTPPool) {
        self.channel = channel
        self.key = key
        self.pool = pool
    }

    /// Free for a new request: open, between responses.
    var usable: Bool { exchange == nil && !broken && channel.isActive }

    func send(_ ex: HTTPExchange, head: HTTPRequestHead, body: ByteBuffer?) {
        exchange = ex
        ex.connection = self
        keepAlive = false
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    func close() {
        broken = true
        channel.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            keepAlive = h.isKeepAlive
            exchange?.head(h)
        case .body(let b):
            exchange?.received(b)
        case .end:
            guard let ex = exchange else { return close() }
            exchange = nil
            // An error answer may come before the server read the whole request: such a connection is not reused.
            let reuse = keepAlive && ex.succeeded && !ex.finished
            ex.end()
            if reuse { pool.release(self) } else { close() }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        broken = true
        if let ex = exchange {
            exchange = nil
            ex.fail(HTTPStreamer.translate(error))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        broken = true
        if let ex = exchange {
            exchange = nil
            ex.fail(URLError(.networkConnectionLost))
        }
        context.fireChannelInactive()
    }
}
