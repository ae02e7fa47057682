import Foundation
import Testing

@testable import Retrieval

/// One scifact index shared by the tests of this file (built once, from ../shared).
actor SciFact {
    static let shared = SciFact()
    private var dir: String?

    func index() throws -> String {
        if let d = dir { return d }
        let d = Fixtures.tempDir("scifact")
        var src = try openCorpus(path: Fixtures.corpus("scifact"), format: .beir)
        let w = try IndexWriter(directory: d)
        while let doc = try src.next() { try w.add(doc) }
        try w.finish()
        dir = d
        return d
    }
}

@Suite struct SearchTests {
    @Test func prunedTopKEqualsExhaustiveOnRandomQueries() async throws {
        let r = try IndexReader(directory: try await SciFact.shared.index())
        let s = try Searcher(index: r)
        // The same searches split over two threads (queries with enough postings are split).
        let split = try Searcher(index: r)
        split.parallelism = 2
        split.splitMinPostings = 0
        // Small windows: scifact (5,183 documents) then spans many, so the pruning across windows (clauses
        // turning non-essential, completion of candidates) is exercised too.
        let windowed = try Searcher(index: r, windowSize: 256)
        let windowedSplit = try Searcher(index: r, windowSize: 512)
        windowedSplit.parallelism = 2
        windowedSplit.splitMinPostings = 0
        // Random queries drawn from the index's own vocabulary, weighted toward frequent terms so that
        // posting lists are long and pruning actually skips.
        var rng = SplitMix64(seed: 42)
        var frequent: [String] = []
        var all: [String] = []
        for t in 0..<r.termCount {
            let term = r.term(t)
            all.append(term)
            if r.info(t).docFreq > 200 { frequent.append(term) }
        }
        #expect(frequent.count > 50)
        var checked = 0
        for _ in 0..<400 {
            let n = 1 + Int(rng.next() % 8)
            let words = (0..<n).map { i in
                i % 2 == 0 ? frequent[Int(rng.next() % UInt64(frequent.count))] : all[Int(rng.next() % UInt64(all.count))]
            }
            let q = words.joined(separator: " ")
            for k in [1, 10, 100] {
                let pruned = try s.search(q, k: k)
                let full = try s.searchExhaustive(q, k: k)
                #expect(pruned == full, "query \(q) k=\(k)")
                #expect(try split.search(q, k: k) == full, "two threads: query \(q) k=\(k)")
                #expect(try windowed.search(q, k: k) == full, "windows of 256: query \(q) k=\(k)")
                #expect(try windowedSplit.search(q, k: k) == full, "windows of 512, two threads: query \(q) k=\(k)")
                checked += 1
            }
        }
        #expect(checked == 1200)
        #expect(split.splitQueries > 1100)  // all but queries with no indexed term
    }

    /// The window selection skips documents below the bucket of the window's k-th best score: it must keep
    /// exactly what offering every document to the top k keeps, with ties, a heap already holding earlier
    /// windows' hits, a bound equal to the best score (the last bucket) or far above it.
    @Test func windowSelectionEqualsOfferingEveryDocument() {
        var rng = SplitMix64(seed: 7)
        for round in 0..<400 {
            let k = [1, 5, 10, 100][round % 4]
            let window = WindowScores(size: Int(Searcher.defaultWindow))
            var expected = TopK(k: k)
            var top = TopK(k: k)
            for _ in 0..<Int(rng.next() % 150) {  // hits of earlier windows (documents below 5000)
                let s = Float(rng.next() % 40) * 0.25
                let d = Int(rng.next() % 5000)
                expected.insert(score: s, doc: d)
                top.insert(score: s, doc: d)
            }
            let levels = 1 + rng.next() % 30  // few distinct term scores: many ties, crowded buckets
            var slots = Set<Int>()
            for _ in 0..<Int(rng.next() % 4000) {
                let slot = Int(rng.next() % UInt64(window.size))
                window.add(slot, Double(Float(rng.next() % levels) * 0.37 + 0.01))
                slots.insert(slot)
            }
            var best: Float = 0
            for slot in slots.sorted() {
                let f = Float(window.scores[slot])
                best = max(best, f)
                expected.insert(score: f, doc: 5000 + slot)
            }
            window.selectTop(into: &top, start: 5000, maxScore: round % 3 == 0 ? best * 3 : best)
            #expect(top.sorted() == expected.sorted(), "round \(round) k=\(k)")
            #expect(window.candidateCount == 0)
            #expect((0..<window.size).allSatisfy { window.scores[$0] == 0 })
        }
    }

    @Test func goldenEffectivenessOnSciFact() async throws {
        // Lucene 9.9.1 (Anserini, BM25 k1=0.9 b=0.4) gives nDCG@10 0.6789 and R@100 0.9253 on scifact test.
        let r = try IndexReader(directory: try await SciFact.shared.index())
        let s = try Searcher(index: r)
        let qrels = try Qrels(path: Fixtures.corpus("scifact") + "/qrels/test.tsv")
        var queries = try JSONLReader(
            path: Fixtures.corpus("scifact") + "/queries.jsonl",
            fields: JSONLFields(id: "_id", title: nil, text: "text"))
        var run = Run()
        while let q = try queries.next() {
            if qrels.relevant(q.id).isEmpty { continue }
            for h in try s.search(q.text, k: 100) { run.add(query: q.id, doc: try r.documentID(h.doc), score: Double(h.score)) }
        }
        let e = Evaluation(run: run, qrels: qrels)
        #expect(e.queries == 300)
        #expect(abs(e.ndcg10 - 0.6789) < 0.0005)
        #expect(abs(e.recall100 - 0.9253) < 0.0005)
    }

    @Test func explainAddsUpToTheScore() async throws {
        let r = try IndexReader(directory: try await SciFact.shared.index())
        let s = try Searcher(index: r)
        let q = "microRNA regulates cancer cell proliferation proliferation"
        for h in try s.search(q, k: 5) {
            let e = try s.explain(q, doc: h.doc)
            #expect(e.score == h.score)
            #expect(e.terms.first { $0.term == "prolifer" }?.boost == 2)
            #expect(e.render(id: "x").contains("avgdl"))
        }
    }

    @Test func tieBreakIsByDocumentOrder() throws {
        let docs = (0..<5).map { SourceDocument(id: "d\($0)", title: "", text: "same words here") }
        let r = try Fixtures.buildIndex(docs, in: Fixtures.tempDir("ties"))
        #expect(try Searcher(index: r).search("words", k: 3).map(\.doc) == [0, 1, 2])
    }

    @Test func lengthNormMatchesLucenesSmallFloat() {
        // Values Lucene's SmallFloat.intToByte4 / byte4ToInt give.
        #expect(LengthNorm.encode(0) == 0 && LengthNorm.encode(23) == 23)
        #expect(LengthNorm.decode(LengthNorm.encode(24)) == 24)
        #expect(LengthNorm.decode(LengthNorm.encode(100)) == 96)
        #expect(LengthNorm.decode(LengthNorm.encode(1000)) == 984)
        #expect(LengthNorm.decode(255) == 2_013_265_944)
        for n in [0, 1, 30, 77, 512, 4097, 100_000] { #expect(LengthNorm.decode(LengthNorm.encode(n)) <= n) }
    }
}

@Suite struct EvalTests {
    @Test func measuresOnAHandComputedRun() {
        var qrels = Qrels()
        qrels.judgments = ["q": ["a": 2, "b": 1, "z": 1, "n": 0]]
        var run = Run()
        run.add(query: "q", doc: "x", score: 5)
        run.add(query: "q", doc: "a", score: 4)
        run.add(query: "q", doc: "n", score: 3)
        run.add(query: "q", doc: "b", score: 3)  // tie with n: trec_eval puts the larger id first ("n" > "b")
        run.add(query: "unjudged", doc: "a", score: 1)
        let e = Evaluation(run: run, qrels: qrels)
        #expect(e.queries == 1)
        let dcg = 2 / log2(3.0) + 1 / log2(5.0)
        let idcg = 2 / log2(2.0) + 1 / log2(3.0) + 1 / log2(4.0)
        #expect(abs(e.ndcg10 - dcg / idcg) < 1e-12)
        #expect(abs(e.recall100 - 2.0 / 3.0) < 1e-12)
        #expect(e.mrr10 == 0.5)
        #expect(abs(e.map - (1.0 / 2 + 2.0 / 4) / 3) < 1e-12)
    }
}
