import CSupport
import Foundation

/// Compresses and writes document-store blocks on a background thread while the indexer goes on
/// analysing (the build's second core). Blocks are written in the order they were submitted; the writer
/// must not touch the file until `finish()` returns.
final class BlockCompressor: @unchecked Sendable {
    private let out: FileWriter
    private let condition = NSCondition()
    private var queue: [(raw: [UInt8], firstDoc: Int)] = []
    private var closed = false
    private var failure: Error?
    private var index: [UInt8] = []
    private var done = false
    private static let maxPending = 8

    init(out: FileWriter) {
        self.out = out
        let t = Thread { [self] in self.loop() }
        t.name = "rank1-index-store"
        t.start()
    }

    /// Queues a block; waits while too many are pending (bounded memory).
    func submit(_ raw: [UInt8], firstDoc: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= BlockCompressor.maxPending && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append((raw, firstDoc))
        condition.broadcast()
    }

    /// Waits until every block is written; returns the block index section.
    func finish() throws -> [UInt8] {
        condition.lock()
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        condition.unlock()
        if let failure { throw failure }
        return index
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed {
                done = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let (raw, firstDoc) = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            do {
                try write(raw, firstDoc: firstDoc)
            } catch {
                condition.lock()
                failure = error
                queue.removeAll()
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    private func write(_ raw: [UInt8], firstDoc: Int) throws {
        var packed = [UInt8](repeating: 0, count: r1_deflate_bound(raw.count))
        let n = raw.withUnsafeBytes { src in
            packed.withUnsafeMutableBytes { dst in r1_deflate(src.baseAddress, src.count, dst.baseAddress, dst.count, 1) }
        }
        guard n > 0 else { throw IndexError.io("compressing a document block failed") }
        packed.removeSubrange(n...)
        index.appendLE(out.position - UInt64(IndexFormat.headerSize))
        index.appendLE(UInt32(n))
        index.appendLE(UInt32(raw.count))
        index.appendLE(UInt32(firstDoc))
        index.appendLE(Checksum.crc32c(packed))
        try out.write(packed)
    }
}
