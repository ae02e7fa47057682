import CSupport

/// Compresses and writes document-store blocks on a background thread while the indexer goes on
/// analysing (the build's second core). Blocks are written in the order they were submitted; the writer
/// must not touch the file until `finish()` returns.
final class BlockCompressor: @unchecked Sendable {
    private let out: FileWriter
    private var index: [UInt8] = []
    private var worker: SerialWorker<(raw: [UInt8], firstDoc: Int)>!

    init(out: FileWriter) {
        self.out = out
        worker = SerialWorker(name: "rank1-index-store", maxPending: 8) { [self] in try self.write($0.raw, firstDoc: $0.firstDoc) }
    }

    /// Queues a block; waits while too many are pending (bounded memory).
    func submit(_ raw: [UInt8], firstDoc: Int) throws { try worker.submit((raw, firstDoc)) }

    /// Lets the thread end once the queue is empty, without waiting.
    func close() { worker.close() }

    /// Waits until every block is written; returns the block index section.
    func finish() throws -> [UInt8] {
        try worker.finish()
        return index
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
