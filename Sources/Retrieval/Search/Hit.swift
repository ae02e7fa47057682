/// One search result.
public struct Hit: Sendable, Equatable {
    public var doc: Int
    public var score: Float
    public init(doc: Int, score: Float) {
        self.doc = doc
        self.score = score
    }
}

/// Keeps the best k hits. Order: higher score first; on equal scores the lower document number wins
/// (Lucene's tie-break), so a later document never displaces an equal earlier one.
///
/// Each hit is one UInt64 key (order-preserving score bits, then the complemented document number), so a
/// comparison is one integer compare; the heap lives in one buffer (with k = 100 on small collections,
/// heap upkeep was a third of the search time as an array of structs). A non-copyable struct, not a class:
/// a class's stored properties pay dynamic exclusivity checks on every access in the scoring loop.
struct TopK: ~Copyable {
    let k: Int
    private let heap: UnsafeMutablePointer<UInt64>  // min-heap: heap[0] is the worst kept hit
    private(set) var count = 0

    init(k: Int) {
        self.k = max(k, 0)
        heap = .allocate(capacity: max(k, 1))
    }

    deinit { heap.deallocate() }

    @inline(__always) static func key(_ score: Float, _ doc: Int) -> UInt64 {
        let bits = score.bitPattern
        let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(ordered) << 32 | UInt64(~UInt32(truncatingIfNeeded: doc))
    }

    @inline(__always) static func hit(_ key: UInt64) -> Hit {
        let ordered = UInt32(truncatingIfNeeded: key >> 32)
        let bits = ordered & 0x8000_0000 != 0 ? ordered & 0x7FFF_FFFF : ~ordered
        return Hit(doc: Int(~UInt32(truncatingIfNeeded: key)), score: Float(bitPattern: bits))
    }

    /// The score a new document must beat (−∞ until full).
    private(set) var threshold: Float = -.infinity
    var isFull: Bool { count >= k }

    mutating func insert(_ h: Hit) { insert(score: h.score, doc: h.doc) }

    @inline(__always)
    mutating func insert(score: Float, doc: Int) {
        guard k > 0 else { return }
        let x = TopK.key(score, doc)
        if count < k {
            // Sift up from the end.
            var i = count
            count += 1
            while i > 0 {
                let p = (i - 1) >> 1
                if heap[p] <= x { break }
                heap[i] = heap[p]
                i = p
            }
            heap[i] = x
            if count == k { threshold = TopK.hit(heap[0]).score }
        } else if x > heap[0] {
            // Replace the worst and sift down.
            var i = 0
            while true {
                let l = 2 * i + 1
                if l >= count { break }
                var m = l
                if l + 1 < count && heap[l + 1] < heap[l] { m = l + 1 }
                if heap[m] >= x { break }
                heap[i] = heap[m]
                i = m
            }
            heap[i] = x
            threshold = TopK.hit(heap[0]).score
        }
    }

    /// Best first.
    func sorted() -> [Hit] { TopK.hits(keys()) }

    /// The kept hits' keys, in heap order.
    func keys() -> [UInt64] { Array(UnsafeBufferPointer(start: heap, count: count)) }

    /// Hits for keys, best first.
    static func hits(_ keys: [UInt64]) -> [Hit] {
        var sorted = keys
        sorted.sort()
        return sorted.reversed().map(TopK.hit)
    }
}
