import CSupport

/// The scores of one window of documents while its essential clauses are accumulated: a dense array of
/// partial scores (zero where nothing matched yet) and a bitset of the slots that matched, read back in
/// document order. Left zeroed after each window, so one per thread serves every query. A final class with
/// only constant properties: no exclusivity checks in the scoring loop.
final class WindowScores {
    let size: Int
    let scores: UnsafeMutablePointer<Double>
    let matched: UnsafeMutablePointer<UInt64>
    /// Scratch for `selectTop`: each candidate's final score as a Float, and four interleaved histograms of them.
    private let finals: UnsafeMutablePointer<Float>
    private let histogram: UnsafeMutablePointer<Int32>
    static let buckets = 1024

    init(size: Int) {
        self.size = size
        scores = .allocate(capacity: size)
        scores.initialize(repeating: 0, count: size)
        matched = .allocate(capacity: size / 64)
        matched.initialize(repeating: 0, count: size / 64)
        finals = .allocate(capacity: size)
        histogram = .allocate(capacity: 4 * WindowScores.buckets)
        histogram.initialize(repeating: 0, count: 4 * WindowScores.buckets)
    }

    deinit {
        scores.deallocate()
        matched.deallocate()
        finals.deallocate()
        histogram.deallocate()
    }

    /// Adds a term's score to a slot. Branch-free: the array starts at zero and 0 + s == s exactly, so the
    /// sums are the same as when the first score is stored.
    @inline(__always) func add(_ slot: Int, _ s: Double) {
        scores[slot] += s
        matched[slot >> 6] |= UInt64(1) << UInt64(slot & 63)
    }

    var candidateCount: Int {
        var n = 0
        for w in 0..<(size / 64) { n += matched[w].nonzeroBitCount }
        return n
    }

    /// Calls `body(slot, partialScore)` for each matched slot in order, clearing it.
    @inline(__always) func drain(_ body: (Int, Double) -> Void) {
        for word in 0..<(size / 64) where matched[word] != 0 {
            var bits = matched[word]
            matched[word] = 0
            while bits != 0 {
                let slot = word * 64 + bits.trailingZeroBitCount
                bits &= bits - 1
                let s = scores[slot]
                scores[slot] = 0
                body(slot, s)
            }
        }
    }

    /// When every clause was accumulated (the scores are final): offers the window's documents to `top`,
    /// but only those that can be among the window's k best. A histogram of the scores over [0, maxScore]
    /// gives the bucket holding the window's k-th best score; a document in a lower bucket has at least k
    /// documents strictly above it (the bucket is monotone in the score), so it cannot be in the top k.
    /// This spares the heap most of its insertions when many documents match (scifact: ~3000 of 5000).
    func selectTop(into top: inout TopK, start: Int32, maxScore: Float) {
        let nb = WindowScores.buckets
        let scale = Float(nb) / maxScore
        r1_window_histogram(scores, matched, size / 64, scale, Int32(nb), finals, histogram)
        var above = 0
        var lowest = nb - 1
        while lowest > 0 {
            above += Int(histogram[lowest]) + Int(histogram[nb + lowest]) + Int(histogram[2 * nb + lowest]) + Int(histogram[3 * nb + lowest])
            if above >= top.k { break }
            lowest -= 1
        }
        histogram.update(repeating: 0, count: 4 * nb)
        // bucket(f) >= lowest is f * scale >= lowest: the bucket is the product truncated, and lowest < nb.
        let floor = Float(lowest)
        drain { slot, _ in
            let f = finals[slot]
            if f * scale >= floor && (!top.isFull || f > top.threshold) { top.insert(score: f, doc: Int(start) + slot) }
        }
    }
}
