import Foundation

/// One helper thread for splitting a query in two: `run` hands it a closure, `wait` blocks until it has
/// finished. The thread sleeps on a semaphore between queries and ends with `stop`.
final class SearchWorker: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    // Written by the caller before `ready.signal()` and read by the thread after `ready.wait()`: the
    // semaphore orders the two.
    private var job: (() -> Void)?
    private var stopping = false

    init() {
        let thread = Thread { [self] in
            while true {
                ready.wait()
                if stopping { return }
                job?()
                job = nil
                finished.signal()
            }
        }
        thread.name = "rank1-search"
        thread.start()
    }

    func run(_ body: @escaping () -> Void) {
        job = body
        ready.signal()
    }

    func wait() { finished.wait() }

    /// Ends the thread (it holds the worker until then).
    func stop() {
        stopping = true
        ready.signal()
    }
}
