#if canImport(Glibc)
    import Glibc
#endif

/// The second stage of an index build, on a thread of its own: per-document term frequencies, the
/// in-memory postings (spilled to run files past the memory budget), length norms and token counts. The
/// writer's thread meanwhile parses and analyses the next documents and sends their term ids in batches,
/// so a build uses both cores even without the text store's compressor. Batches are processed in order,
/// so the index is byte for byte what one thread would write.
final class PostingsAccumulator: @unchecked Sendable {
    /// Analysed documents: their tokens as term ids, in order, one run per document.
    struct Batch {
        var termIDs: [Int32] = []
        /// End of each document's run in `termIDs`.
        var ends: [Int] = []
        /// Terms the dictionary held when the batch was sent (ids below it may appear).
        var termCount = 0
    }

    // The results, read by the writer once `finish()` has returned (postings through `takePostings()`).
    private var postings: [[UInt8]] = []
    private(set) var norms: [UInt8] = []
    private(set) var runs: [(path: String, chunks: [(UInt64, UInt32)])] = []
    private(set) var totalTokens: UInt64 = 0
    private(set) var fieldDocCount = 0

    private var lastDoc: [Int32] = []
    private var seenInDoc: [Int32] = []
    private var tfInDoc: [UInt32] = []
    private var docTerms: [Int32] = []
    private var memoryBytes = 0
    private let directory: String
    private let memoryBudget: Int

    private var worker: SerialWorker<Batch>!

    init(directory: String, memoryBudget: Int) {
        self.directory = directory
        self.memoryBudget = memoryBudget
        worker = SerialWorker(name: "rank1-index-postings", maxPending: 4) { [self] in try self.process($0) }
    }

    /// Queues a batch (waits while 4 are pending). Throws the stage's failure.
    func submit(_ batch: Batch) throws { try worker.submit(batch) }

    /// Waits until every batch is processed and the thread has ended.
    func finish() throws { try worker.finish() }

    /// Lets the thread end once the queue is empty, without waiting.
    func close() { worker.close() }

    /// Hands the in-memory postings over (after `finish()`), leaving none here.
    func takePostings() -> [[UInt8]] {
        let p = postings
        postings = []
        return p
    }

    private func process(_ batch: Batch) throws {
        let grow = batch.termCount - postings.count
        if grow > 0 {
            postings.append(contentsOf: repeatElement([], count: grow))
            lastDoc.append(contentsOf: repeatElement(0, count: grow))
            seenInDoc.append(contentsOf: repeatElement(-1, count: grow))
            tfInDoc.append(contentsOf: repeatElement(0, count: grow))
        }
        var from = 0
        for end in batch.ends {
            let docNumber = Int32(norms.count)  // one norm per document processed so far
            docTerms.removeAll(keepingCapacity: true)
            for i in from..<end {
                let term = batch.termIDs[i]
                let t = Int(term)
                if seenInDoc[t] != docNumber {
                    seenInDoc[t] = docNumber
                    tfInDoc[t] = 1
                    docTerms.append(term)
                } else {
                    tfInDoc[t] += 1
                }
            }
            let length = end - from
            norms.append(LengthNorm.encode(length))
            totalTokens += UInt64(length)
            if length > 0 { fieldDocCount += 1 }
            for term in docTerms {
                let t = Int(term)
                let before = postings[t].count
                Varint.append(UInt32(docNumber - lastDoc[t]), to: &postings[t])
                Varint.append(tfInDoc[t], to: &postings[t])
                lastDoc[t] = docNumber
                memoryBytes += postings[t].count - before
            }
            if memoryBytes > memoryBudget { try spillRun() }
            from = end
        }
    }

    /// Writes the in-memory postings to a run file, in term-id order, and clears them.
    private func spillRun() throws {
        let path = directory + "/.r1run-\(getpid())-\(runs.count)"
        let w = try FileWriter(path: path)
        var chunks = [(UInt64, UInt32)](repeating: (0, 0), count: postings.count)
        for t in 0..<postings.count where !postings[t].isEmpty {
            chunks[t] = (w.position, UInt32(postings[t].count))
            try w.write(postings[t])
            postings[t] = []
            lastDoc[t] = 0
        }
        try w.flush()
        runs.append((path, chunks))
        memoryBytes = 0
    }
}
