import Foundation

/// A response body as its parts arrive: one producer (the connection's handler, on the event loop) and one reader.
/// Our own rather than AsyncThrowingStream: the standard one is generic in the standard library and looked up its
/// generic types' metadata on every part handed over (a twentieth of the client's CPU per token; `rank1 bench
/// client`). The same rules: a reader cancelled while waiting gets nil; a reader that lets go of the body (leaves
/// its loop, or is done with it) stops the request through `onCancel`.
struct HTTPBody: AsyncSequence, Sendable {
    typealias Element = Data
    /// The reader's side; the producer holds only `state`.
    let reader = Reader(State())
    var state: State { reader.state }

    func makeAsyncIterator() -> Iterator { Iterator(reader: reader) }

    struct Iterator: AsyncIteratorProtocol {
        let reader: Reader
        func next() async throws -> Data? { try await reader.state.next() }
    }

    /// The reader's hold on the body: when the last copy goes, the request is stopped (a no-op once it ended).
    final class Reader: Sendable {
        let state: State
        init(_ state: State) { self.state = state }
        deinit { state.cancel() }
    }

    final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var parts: [Data] = []
        private var first = 0
        private var end: Result<Void, Error>?
        private var waiter: UnsafeContinuation<Data?, Error>?
        private var onCancel: (@Sendable () -> Void)?
        private var cancelled = false

        /// Runs `h` when the reader lets go or is cancelled before the body ended (at once if it already was).
        func setOnCancel(_ h: @escaping @Sendable () -> Void) {
            let now: Bool = lock.withLock {
                if end == nil { onCancel = h }  // (an ended body never calls it: nothing to hold)
                return cancelled
            }
            if now { h() }
        }

        func yield(_ part: Data) {
            lock.lock()
            guard end == nil else { return lock.unlock() }
            if let w = waiter {
                waiter = nil
                lock.unlock()
                w.resume(returning: part)
            } else {
                parts.append(part)
                lock.unlock()
            }
        }

        /// The body ended (nil) or failed; later calls change nothing.
        func finish(_ error: Error?) {
            lock.lock()
            guard end == nil else { return lock.unlock() }
            let w = waiter
            // An error is said once: to the waiting reader, or else to the next call.
            end = error.map { w == nil ? .failure($0) : .success(()) } ?? .success(())
            waiter = nil
            onCancel = nil  // it holds the exchange, which holds this: the cycle ends with the body
            lock.unlock()
            if let error { w?.resume(throwing: error) } else { w?.resume(returning: nil) }
        }

        func cancel() {
            lock.lock()
            let h: (@Sendable () -> Void)?
            if end == nil && !cancelled {
                cancelled = true
                h = onCancel
            } else {
                h = nil
            }
            lock.unlock()
            finish(nil)
            h?()
        }

        func next() async throws -> Data? {
            if let ready = try take() { return ready }
            return try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<Data?, Error>) in
                    lock.lock()
                    if first < parts.count || end != nil || cancelled {
                        lock.unlock()
                        c.resume(with: Result { try take() ?? nil })
                    } else {
                        waiter = c
                        lock.unlock()
                    }
                }
            } onCancel: {
                cancel()
            }
        }

        /// A part that is waiting, or the end (.some(nil) / a throw); nil when the reader must wait.
        private func take() throws -> Data?? {
            lock.lock()
            defer { lock.unlock() }
            if first < parts.count {
                let p = parts[first]
                first += 1
                if first == parts.count {
                    parts.removeAll(keepingCapacity: true)
                    first = 0
                }
                return .some(p)
            }
            switch end {
            case .success?: return .some(nil)
            case .failure(let e)?:
                // Said once: later calls see a plain end, as a finished AsyncThrowingStream does.
                end = .success(())
                throw e
            case nil: return cancelled ? .some(nil) : nil
            }
        }
    }
}
