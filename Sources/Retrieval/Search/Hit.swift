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
struct TopK {
    let k: Int
    private(set) var heap: [Hit] = []  // min-heap by (score, then higher doc = worse)

    init(k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// The score a new document must beat, once full.
    var threshold: Float { heap.count < k ? -.infinity : heap[0].score }
    var isFull: Bool { heap.count >= k }

    @inline(__always) private static func worse(_ a: Hit, _ b: Hit) -> Bool {
        a.score < b.score || (a.score == b.score && a.doc > b.doc)
    }

    mutating func insert(_ h: Hit) {
        guard k > 0 else { return }
        if heap.count < k {
            heap.append(h)
            var i = heap.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                if TopK.worse(heap[i], heap[p]) { heap.swapAt(i, p); i = p } else { break }
            }
        } else if TopK.worse(heap[0], h) {
            heap[0] = h
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && TopK.worse(heap[l], heap[m]) { m = l }
                if r < heap.count && TopK.worse(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
    }

    func sorted() -> [Hit] { heap.sorted { TopK.worse($1, $0) } }
}
