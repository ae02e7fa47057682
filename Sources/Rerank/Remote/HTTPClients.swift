import CSupport
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The process's connection pools, one per CA file, each kept for the life of the process; all of them on one
/// event-loop thread, which is also the remote jobs' task executor: a body part reaches the task that reads it
/// without waking another thread (a third of the client's CPU per token went to those hand-overs; `rank1 bench
/// client`). No read timeout: the watchdog in Deadlines.swift times every stream (probes have their own deadline),
/// and a timer re-armed on each read cost one per token.
final class HTTPClients: @unchecked Sendable {
    static let shared = HTTPClients()
    static let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    static let executor = EventLoopExecutor(loop.next())
    private let lock = NSLock()
    private var pools: [String: HTTPPool] = [:]

    func pool(caFile: String?) -> HTTPPool {
        lock.withLock {
            let key = caFile ?? ""
            if let p = pools[key] { return p }
            let p = HTTPPool(loop: HTTPClients.executor.loop, caFile: caFile)
            pools[key] = p
            return p
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
    /// NIO's failures as the `URLError`s the retry and failover rules know (a refused or reset
    /// connection, a timeout, a TLS failure), so http and https fail under the same names.
    static func translate(_ e: Error) -> Error {
        if e is HTTPError || e is CancellationError || e is URLError { return e }
        if let s = e as? NIOSSLError {
            // A TLS peer that closes without close_notify has dropped the connection, as a plain one that closes mid-body.
            if case .uncleanShutdown = s { return URLError(.networkConnectionLost) }
            return tlsFailure("\(s)")
        }
        if let s = e as? BoringSSLError { return tlsFailure("\(s)") }
        if let io = e as? IOError {
            return URLError([ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(io.errnoCode) ? .cannotConnectToHost : .networkConnectionLost)
        }
        if let c = e as? ChannelError {
            // A connection that never came up, or one that went away under a request.
            if case .connectTimeout = c { return URLError(.cannotConnectToHost) }
            return URLError(.networkConnectionLost)
        }
        if e is NIOConnectionError || e is SocketAddressError { return URLError(.cannotConnectToHost) }
        return e
    }

    private static func tlsFailure(_ detail: String) -> URLError {
        URLError(.secureConnectionFailed, userInfo: [NSLocalizedDescriptionKey: detail])
    }
}

/// Seconds on the monotonic clock: CSupport's, the one clock.
func monotonicNow() -> Double { r1_monotonic_seconds() }
