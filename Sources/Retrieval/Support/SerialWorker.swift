import Foundation

/// A thread that handles items one at a time, in the order they were submitted, through a bounded queue
/// (the index build's document-store compressor and its postings stage). The first error stops it: later
/// `submit`s and `finish()` throw that error.
final class SerialWorker<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var closed = false
    private var done = false
    private var failure: Error?
    private let maxPending: Int
    /// Dropped when the thread ends, which also ends the owner → worker → handler cycle.
    private var handle: ((Item) throws -> Void)?

    init(name: String, maxPending: Int, handle: @escaping (Item) throws -> Void) {
        self.maxPending = maxPending
        self.handle = handle
        let t = Thread { [self] in self.loop() }
        t.name = name
        t.start()
    }

    /// Queues an item; waits while `maxPending` are queued (bounded memory).
    func submit(_ item: Item) throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= maxPending && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append(item)
        condition.broadcast()
    }

    /// Waits until every item is handled and the thread has ended.
    func finish() throws {
        condition.lock()
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        condition.unlock()
        if let failure { throw failure }
    }

    /// Lets the thread end once the queue is empty, without waiting.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed {
                done = true
                handle = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            let item = queue.removeFirst()
            let work = handle!
            condition.broadcast()
            condition.unlock()
            do {
                try work(item)
            } catch {
                condition.lock()
                failure = error
                queue.removeAll()
                closed = true
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}
