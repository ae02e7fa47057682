/// A query term after analysis: duplicates fold into a boost, as Anserini's bag-of-words query does.
public struct QueryTerm: Sendable, Equatable {
    public var term: String
    public var boost: Float
}

/// BM25 search over one index: exact top-k with MaxScore dynamic pruning.
public final class Searcher {
    public let index: IndexReader
    public let analyzer: any Analyzer
    public private(set) var bm25: BM25
    /// Threads one query may use (1 or 2): with 2, large queries are split over two document ranges.
    public var parallelism = 1
    private var worker: SearchWorker?
    /// Below this many postings a query is searched on one thread (waking the helper costs more).
    public var splitMinPostings = 4096
    /// How many queries were split over two threads (for tests and diagnostics).
    public private(set) var splitQueries = 0
    /// BM25's length factor for each of the 256 norm bytes, in a buffer the scoring loop reads without
    /// bounds checks.
    private let normInverse = UnsafeMutablePointer<Float>.allocate(capacity: 256)
    /// Per-window score buffers: this thread's, and the search helper's for the upper half of a split query.
    private let window: WindowScores
    private let helperWindow: WindowScores
    /// Documents scored together per window (a multiple of 64).
    public var windowSize: Int32 { Int32(window.size) }
    public let averageLength: Float

    public init(index: IndexReader, bm25: BM25 = BM25(), windowSize: Int32 = Searcher.defaultWindow) throws {
        precondition(windowSize > 0 && windowSize % 64 == 0, "the window size must be a positive multiple of 64")
        self.index = index
        window = WindowScores(size: Int(windowSize))
        helperWindow = WindowScores(size: Int(windowSize))
        analyzer = try index.makeAnalyzer()
        self.bm25 = bm25
        averageLength = BM25.averageLength(totalTokens: index.totalTokens, docCount: index.documentsWithTerms)
        normInverse.initialize(from: bm25.normCache(averageLength: averageLength), count: 256)
    }

    deinit {
        normInverse.deallocate()
        worker?.stop()
    }

    public func setParameters(_ p: BM25) {
        bm25 = p
        normInverse.update(from: p.normCache(averageLength: averageLength), count: 256)
    }

    /// Analyzed, de-duplicated query terms in first-occurrence order, with their counts as boosts.
    public func queryTerms(_ query: String) -> [QueryTerm] {
        analyzedTerms(query).map { QueryTerm(term: String(decoding: $0.bytes, as: UTF8.self), boost: Float($0.count)) }
    }

    /// `queryTerms` as UTF-8 bytes (the search path makes no Strings; a query has a handful of terms, so a
    /// linear scan de-duplicates them faster than hashing).
    private func analyzedTerms(_ query: String) -> [(bytes: [UInt8], count: Int)] {
        var out: [(bytes: [UInt8], count: Int)] = []
        var text = query
        text.withUTF8 { buf in
            analyzer.forEachRawToken(in: buf) { raw in
                guard let t = analyzer.normalize(raw) else { return }
                if let i = out.firstIndex(where: { $0.bytes == t }) { out[i].count += 1 } else { out.append((t, 1)) }
            }
        }
        return out
    }

    /// A query term found in the index, with its BM25 weight and its best possible score.
    private struct WeightedTerm {
        var info: TermInfo
        var weight: Float
        var upperBound: Float
    }

    private struct Clause {
        var cursor: PostingsCursor
        var weight: Float
        var upperBound: Float
    }

    /// The query's terms that are in the index, weighted (analysis and dictionary lookups, once per query).
    private func weightedTerms(_ query: String) -> [WeightedTerm] {
        analyzedTerms(query).compactMap { t in
            guard let info = t.bytes.withUnsafeBufferPointer({ index.lookup(bytes: $0) }) else { return nil }
            let weight = Float(t.count) * BM25.idf(docFreq: info.docFreq, docCount: index.documentsWithTerms)
            return WeightedTerm(
                info: info, weight: weight,
                upperBound: BM25.score(weight: weight, tf: info.maxTf, normInverse: normInverse[Int(info.minNorm)]))
        }
    }

    /// Fresh cursors over the terms' posting lists.
    private func clauses(_ terms: [WeightedTerm]) throws -> [Clause] {
        try terms.map { Clause(cursor: try index.postings($0.info), weight: $0.weight, upperBound: $0.upperBound) }
    }

    /// Documents scored together per window (Lucene's MaxScoreBulkScorer works by windows too). 8192 rather
    /// than 4096: fewer window boundaries cut the block runs, and the scores (64 KB) stay in L2; scifact's
    /// median query went from 49.5 to 44 µs and the 1M corpus's from 368 to 355 µs.
    public static let defaultWindow: Int32 = 8192

    /// The top `k` documents for `query`: identical to exhaustive scoring (see `searchExhaustive`).
    ///
    /// With `parallelism` 2 and enough postings to be worth it, the documents are split in two halves
    /// searched at once (this thread and a helper), each with its own cursors and top k; the merged top k
    /// is the same, ties included (both order by score, then document number).
    public func search(_ query: String, k: Int) throws -> [Hit] {
        guard k > 0 else { return [] }
        let terms = weightedTerms(query)
        guard !terms.isEmpty else { return [] }
        let cl = try clauses(terms)
        let postings = terms.reduce(0) { $0 + $1.info.docFreq }
        let mid = Int32(index.documentCount / 2)
        guard parallelism > 1, postings >= splitMinPostings, mid > 0 else {
            return TopK.hits(searchRange(cl, k: k, from: 0, to: PostingsCursor.exhausted, window: window))
        }
        let upper = RangeTask(clauses: try clauses(terms))
        let helper = worker ?? SearchWorker()
        worker = helper
        splitQueries += 1
        helper.run { [self] in upper.keys = searchRange(upper.clauses, k: k, from: mid, to: PostingsCursor.exhausted, window: helperWindow) }
        let lower = searchRange(cl, k: k, from: 0, to: mid, window: window)
        helper.wait()
        return Array(TopK.hits(lower + upper.keys).prefix(k))
    }

    /// The second half of a split query: its cursors and, once searched, its top k as keys.
    private final class RangeTask: @unchecked Sendable {
        let clauses: [Clause]
        var keys: [UInt64] = []
        init(clauses: [Clause]) { self.clauses = clauses }
    }

    /// The top k among documents in [lo, hi), as TopK keys (unsorted).
    ///
    /// MaxScore, by windows: clauses are sorted by their score upper bound; those whose bounds sum to at
    /// most the current k-th score are non-essential (a document matching only them cannot enter the top
    /// k). In each window of documents the essential clauses are accumulated term at a time into a score
    /// array, then each candidate is completed with the non-essential clauses, highest bound first,
    /// stopping as soon as the remaining bounds cannot lift it past the threshold.
    private func searchRange(_ unsorted: [Clause], k: Int, from lo: Int32, to hi: Int32, window: WindowScores) -> [UInt64] {
        let cl = unsorted.sorted { $0.upperBound < $1.upperBound }
        let n = cl.count
        var prefix = [Double](repeating: 0, count: n + 1)
        for i in 0..<n { prefix[i + 1] = prefix[i] + Double(cl[i].upperBound) }
        for c in cl {
            c.cursor.next()
            if lo > 0 { c.cursor.advance(to: lo) }
        }
        var top = TopK(k: k)
        var firstEssential = 0
        let norms = index.normsPointer
        let cache = UnsafePointer(normInverse)
        let runScores = UnsafeMutablePointer<Float>.allocate(capacity: IndexFormat.blockSize)
        defer { runScores.deallocate() }
        // Window selection needs a finite positive bound on every document's score.
        let maxScore = Float(prefix[n])
        let selectable = maxScore > 0 && maxScore.isFinite

        while firstEssential < n {
            var start = PostingsCursor.exhausted
            for i in firstEssential..<n where cl[i].cursor.doc < start { start = cl[i].cursor.doc }
            if start >= hi { break }  // exhausted included
            let end = min(start &+ windowSize, hi)
            // Essential clauses, term at a time over the window, a block's run at a time: gather the
            // norms, score the run in one loop (the divisions vectorise), then accumulate.
            for i in firstEssential..<n {
                let c = cl[i].cursor
                let weight = cl[i].weight
                while true {
                    let m = c.run(below: end)
                    if m == 0 { break }
                    let ds = c.runDocs
                    let ts = c.runTfs
                    for j in 0..<m { runScores[j] = cache[Int(norms[Int(ds[j])])] }
                    for j in 0..<m { runScores[j] = BM25.score(weight: weight, tf: ts[j], normInverse: runScores[j]) }
                    for j in 0..<m { window.add(Int(ds[j] - start), Double(runScores[j])) }
                    c.consume(m)
                }
            }
            if firstEssential == 0 && selectable && window.candidateCount > 4 * k {
                // Every clause is in the scores: no completion, only selection.
                window.selectTop(into: &top, start: start, maxScore: maxScore)
            } else {
                window.drain { slot, partial in
                    let d = start + Int32(slot)
                    var score = partial
                    var i = firstEssential - 1
                    while i >= 0 {
                        if top.isFull && Float(score + prefix[i + 1]) <= top.threshold { break }
                        let c = cl[i].cursor
                        c.advance(to: d)
                        if c.doc == d {
                            score += Double(BM25.score(weight: cl[i].weight, tf: c.tf, normInverse: cache[Int(norms[Int(d)])]))
                        }
                        i -= 1
                    }
                    if i < 0 && (!top.isFull || Float(score) > top.threshold) { top.insert(score: Float(score), doc: Int(d)) }
                }
            }
            if top.isFull {
                while firstEssential < n && Float(prefix[firstEssential + 1]) <= top.threshold { firstEssential += 1 }
            }
        }
        return top.keys()
    }

    /// Scores every matching document (term at a time) and keeps the top k. The reference for tests.
    public func searchExhaustive(_ query: String, k: Int) throws -> [Hit] {
        let cl = try clauses(weightedTerms(query))
        var acc: [Int: Double] = [:]
        let norms = index.normsPointer
        for c in cl {
            c.cursor.next()
            while c.cursor.doc != PostingsCursor.exhausted {
                let d = Int(c.cursor.doc)
                acc[d, default: 0] += Double(BM25.score(weight: c.weight, tf: c.cursor.tf, normInverse: normInverse[Int(norms[d])]))
                c.cursor.next()
            }
        }
        var top = TopK(k: k)
        for (d, s) in acc.sorted(by: { $0.key < $1.key }) { top.insert(Hit(doc: d, score: Float(s))) }
        return top.sorted()
    }

    /// Why a document scored what it did, term by term.
    public func explain(_ query: String, doc: Int) throws -> Explanation {
        let dlByte = index.norm(doc)
        var parts: [Explanation.TermPart] = []
        for q in queryTerms(query) {
            guard let info = index.lookup(q.term) else {
                parts.append(.init(term: q.term, boost: q.boost, docFreq: 0, idf: 0, tf: 0, score: 0))
                continue
            }
            let cur = try index.postings(info)
            cur.advance(to: Int32(doc))
            let tf: UInt32 = cur.doc == Int32(doc) ? cur.tf : 0
            let idf = BM25.idf(docFreq: info.docFreq, docCount: index.documentsWithTerms)
            let score = tf == 0 ? 0 : BM25.score(weight: q.boost * idf, tf: tf, normInverse: normInverse[Int(dlByte)])
            parts.append(.init(term: q.term, boost: q.boost, docFreq: info.docFreq, idf: idf, tf: tf, score: score))
        }
        let total = Float(parts.reduce(0.0) { $0 + Double($1.score) })
        return Explanation(
            doc: doc, score: total, k1: bm25.k1, b: bm25.b, docLength: LengthNorm.decode(dlByte),
            averageLength: averageLength, docCount: index.documentsWithTerms, terms: parts)
    }
}

/// A Lucene-style breakdown of one document's BM25 score.
public struct Explanation: Sendable {
    public struct TermPart: Sendable {
        public var term: String
        public var boost: Float
        public var docFreq: Int
        public var idf: Float
        public var tf: UInt32
        public var score: Float
    }
    public var doc: Int
    public var score: Float
    public var k1: Float
    public var b: Float
    /// The document length as BM25 sees it (Lucene's one-byte norm, decoded).
    public var docLength: Int
    public var averageLength: Float
    public var docCount: Int
    public var terms: [TermPart]

    public func render(id: String) -> String {
        var s = "\(score) = BM25 score of \(id) (sum of:)\n"
        for t in terms {
            if t.tf == 0 {
                s += "  0 for \"\(t.term)\": not in this document\(t.docFreq == 0 ? " (nor in the index)" : "")\n"
                continue
            }
            s += "  \(t.score) = weight(\"\(t.term)\") = boost \(t.boost) · idf · tf-part\n"
            s += "    idf = \(t.idf) = ln(1 + (N − n + 0.5) / (n + 0.5)), n = \(t.docFreq), N = \(docCount)\n"
            s +=
                "    tf-part = tf / (tf + k1 · (1 − b + b · dl / avgdl)), tf = \(t.tf), k1 = \(k1), b = \(b), dl = \(docLength), avgdl = \(averageLength)\n"
        }
        return s
    }
}
