import AsyncHTTPClient
import CSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The process's HTTP clients, one per CA file: each keeps its pool of kept-alive connections for the life of the
/// process (a client must be shut down before it is released; these never are). No read timeout: the watchdog in
/// Deadlines.swift times every stream and request (probes have their own deadline), and a read timeout reset on
/// each read cost a timer per token.
final class HTTPClients: @unchecked Sendable {
    static let shared = HTTPClients()
    /// One event-loop thread for every connection, and the same thread as the remote jobs' task executor: a body part
    /// reaches the task that reads it without waking another thread (a third of the client's CPU per token went to
    /// those hand-overs; `rank1 bench client`).
    static let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    static let executor = EventLoopExecutor(loop.next())
    private let lock = NSLock()
    private var clients: [String: HTTPClient] = [:]

    func client(caFile: String?) -> HTTPClient {
        lock.withLock {
            let key = caFile ?? ""
            if let c = clients[key] { return c }
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile { tls.additionalTrustRoots = [.file(caFile)] }
            var pool = HTTPClient.Configuration.ConnectionPool(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: RemoteConfiguration.maxConcurrency)
            // A refused connection fails at once (a fleet moves on) instead of being tried again until the connect timeout.
            pool.retryConnectionEstablishment = false
            var config = HTTPClient.Configuration(
                tlsConfiguration: tls,
                timeout: .init(connect: .seconds(10), read: nil),
                connectionPool: pool)
            config.httpVersion = .http1Only
            let c = HTTPClient(eventLoopGroup: HTTPClients.loop, configuration: config)
            clients[key] = c
            return c
        }
    }
}

/// A NIO event loop as a Swift task executor.
final class EventLoopExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop
    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

extension HTTPStreamer {
    /// NIO's and AsyncHTTPClient's failures as the `URLError`s the retry and failover rules know (a refused or reset
    /// connection, a timeout, a TLS failure), so http and https fail under the same names.
    static func translate(_ e: Error) -> Error {
        if e is HTTPError || e is CancellationError || e is URLError { return e }
        if let h = e as? HTTPClientError {
            switch h {
            case .connectTimeout, .getConnectionFromPoolTimeout: return URLError(.cannotConnectToHost)
            case .readTimeout, .deadlineExceeded: return URLError(.timedOut)
            case .tlsHandshakeTimeout: return tlsFailure("the TLS handshake timed out")
            case .cancelled: return CancellationError()
            case .remoteConnectionClosed, .writeTimeout, .bodyLengthMismatch, .invalidProxyResponse, .uncleanShutdown:
                return URLError(.networkConnectionLost)
            default: return URLError(.badServerResponse, userInfo: [NSLocalizedDescriptionKey: "\(h)"])
            }
        }
        if let s = e as? NIOSSLError {
            // A TLS peer that closes without close_notify has dropped the connection, as a plain one that closes mid-body.
            if case .uncleanShutdown = s { return URLError(.networkConnectionLost) }
            return tlsFailure("\(s)")
        }
        if let s = e as? BoringSSLError { return tlsFailure("\(s)") }
        if let io = e as? IOError {
            return URLError([ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(io.errnoCode) ? .cannotConnectToHost : .networkConnectionLost)
        }
        if e is NIOConnectionError || e is ChannelError || e is SocketAddressError { return URLError(.cannotConnectToHost) }
        // The connection ended inside a response (a reset before the head was complete): dropped, as over plain sockets.
        if let p = e as? NIOHTTP1.HTTPParserError {
            return p == .invalidEOFState
                ? URLError(.networkConnectionLost) : URLError(.badServerResponse, userInfo: [NSLocalizedDescriptionKey: "\(p)"])
        }
        return e
    }

    private static func tlsFailure(_ detail: String) -> URLError {
        URLError(.secureConnectionFailed, userInfo: [NSLocalizedDescriptionKey: detail])
    }
}

/// Seconds on the monotonic clock: CSupport's, the one clock.
func monotonicNow() -> Double { r1_monotonic_seconds() }
