import Foundation
import NIOCore

/// A job's events on their way to its consumer, handed over together at most 4 ms after the first of them: a
/// consumer parked on another thread is woken a few hundred times a second instead of once per token (that wake-up
/// was the largest single cost per streamed token; `rank1 bench client`), a delay no screen shows (a quarter of a
/// 60 Hz frame). Order is kept.
final class EventOutlet: @unchecked Sendable {
    private let out: AsyncStream<RerankEvent>.Continuation
    private let loop: any EventLoop
    private let lock = NSLock()
    private var pending: [RerankEvent] = []
    static let window = TimeAmount.milliseconds(4)

    init(_ out: AsyncStream<RerankEvent>.Continuation, loop: any EventLoop) {
        self.out = out
        self.loop = loop
    }

    func yield(_ e: RerankEvent) {
        let first = lock.withLock {
            pending.append(e)
            return pending.count == 1
        }
        if first { loop.scheduleTask(in: EventOutlet.window) { self.flush() } }
    }

    /// Hands over what is pending, in order.
    func flush() {
        var batch: [RerankEvent] = []
        lock.withLock { swap(&batch, &pending) }
        for e in batch { out.yield(e) }
    }

    /// The job is over: what is pending goes out, then the stream ends (on the loop, after any flush under way).
    func finish() {
        let end: @Sendable () -> Void = { [self] in
            flush()
            out.finish()
        }
        if loop.inEventLoop { end() } else { loop.execute(end) }
    }
}
