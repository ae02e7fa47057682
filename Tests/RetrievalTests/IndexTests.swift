import Foundation
import Testing

@testable import Retrieval

@Suite struct IndexRoundTripTests {
    let docs = [
        SourceDocument(id: "d1", title: "Cats", text: "Cats chase mice."),
        SourceDocument(id: "d2", title: "", text: "Dogs chase cats and cars."),
        SourceDocument(id: "empty", title: "", text: ""),
        SourceDocument(id: "ünï", title: "Ünïcödé title", text: "日本語 text, emoji 🐱 and café."),
    ]

    @Test func documentsAndStatisticsSurvive() throws {
        let dir = Fixtures.tempDir("rt")
        let r = try Fixtures.buildIndex(docs, in: dir)
        #expect(r.documentCount == 4)
        #expect(r.documentsWithTerms == 3)  // the empty document has no terms but is kept
        for (i, d) in docs.enumerated() {
            let s = try r.document(i)
            #expect(s.id == d.id && s.title == d.title && s.text == d.text)
            #expect(try r.documentNumber(forID: d.id) == i)
        }
        #expect(try r.documentNumber(forID: "missing") == nil)
        let chase = try #require(r.lookup("chase"))
        #expect(chase.docFreq == 2)
        #expect(r.lookup("the") == nil)  // stopword
        let searcher = try Searcher(index: r)
        #expect(try searcher.search("café", k: 10).map(\.doc) == [3])
        #expect(try searcher.search("cats", k: 10).map(\.doc).sorted() == [0, 1])
        try r.verifyAll()
    }

    @Test func spilledRunsGiveTheSameIndex() throws {
        // A tiny memory budget forces a run file per document; the merged index must equal the in-memory one.
        var many: [SourceDocument] = []
        var rng = SplitMix64(seed: 7)
        for i in 0..<300 {
            let words = (0..<(5 + Int(rng.next() % 40))).map { _ in "w\(rng.next() % 200)" }
            many.append(SourceDocument(id: "doc\(i)", title: "", text: words.joined(separator: " ")))
        }
        let a = try Fixtures.buildIndex(many, in: Fixtures.tempDir("mem"))
        let b = try Fixtures.buildIndex(many, in: Fixtures.tempDir("spill"), budget: 64)
        #expect(a.termCount == b.termCount)
        let sa = try Searcher(index: a)
        let sb = try Searcher(index: b)
        for q in ["w1 w2 w3", "w17", "w199 w5 w5"] {
            #expect(try sa.search(q, k: 20) == sb.search(q, k: 20))
        }
    }

    @Test func largeDocumentIsFine() throws {
        let big = String(repeating: "lorem ipsum dolor sit amet ", count: 400_000)  // ~10.8 MB
        let r = try Fixtures.buildIndex([SourceDocument(id: "big", title: "", text: big), docs[0]], in: Fixtures.tempDir("big"))
        #expect(try r.document(0).text.utf8.count == big.utf8.count)
        #expect(try Searcher(index: r).search("lorem", k: 5).map(\.doc) == [0])
    }

    @Test func duplicateIDIsRefused() throws {
        let w = try IndexWriter(directory: Fixtures.tempDir("dup"))
        try w.add(docs[0])
        #expect(throws: CorpusError.self) { try w.add(docs[0]) }
        w.abandon()
    }
}

@Suite struct IndexIntegrityTests {
    func freshIndex() throws -> String {
        let dir = Fixtures.tempDir("corrupt")
        _ = try Fixtures.buildIndex(
            [
                SourceDocument(id: "a", title: "t", text: "alpha beta gamma"),
                SourceDocument(id: "b", title: "", text: "beta delta"),
            ], in: dir)
        return dir
    }

    func patch(_ dir: String, at offset: Int, _ f: (UInt8) -> UInt8) throws {
        let path = dir + "/" + IndexFormat.fileName
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[offset] = f(bytes[offset])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func unknownVersionIsRefused() throws {
        let dir = try freshIndex()
        try patch(dir, at: 8) { _ in 99 }
        #expect { try IndexReader(directory: dir) } throws: { e in
            guard case IndexError.unsupportedVersion(_, 99) = e else { return false }
            return "\(e)".contains("version 99 is not supported")
        }
    }

    @Test func damagedHeaderIsRefused() throws {
        let dir = try freshIndex()
        try patch(dir, at: 20) { $0 ^ 0xFF }
        #expect { try IndexReader(directory: dir) } throws: { e in "\(e)".contains("header checksum mismatch") }
    }

    @Test func damagedPostingsAreRefusedWhenRead() throws {
        let dir = try freshIndex()
        let r = try IndexReader(directory: dir)
        let info = try #require(r.lookup("beta"))
        let header = try Data(contentsOf: URL(fileURLWithPath: dir + "/index.r1"))
        let sectionOffset = header.withUnsafeBytes { p in
            Int(p.loadUnaligned(fromByteOffset: 56 + IndexFormat.Section.postings.rawValue * 24, as: UInt64.self))
        }
        try patch(dir, at: sectionOffset + info.postingsOffset + info.postingsLength - 1) { $0 ^ 0x01 }
        let damaged = try IndexReader(directory: dir)
        #expect { try Searcher(index: damaged).search("beta", k: 10) } throws: { e in "\(e)".contains("checksum mismatch in the postings") }
        #expect { try damaged.verifyAll() } throws: { e in "\(e)".contains("postings") }
    }

    @Test func damagedStoredDocumentIsRefused() throws {
        let dir = try freshIndex()
        try patch(dir, at: 512 + 2) { $0 ^ 0x20 }  // inside the first stored record
        let r = try IndexReader(directory: dir)
        #expect { try r.document(0) } throws: { e in "\(e)".contains("stored block of document 0") }
    }

    @Test func truncatedFileIsRefused() throws {
        let dir = try freshIndex()
        let path = dir + "/index.r1"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: path))
        #expect { try IndexReader(directory: dir) } throws: { e in "\(e)".contains("outside the file") }
    }

    @Test func notAnIndexIsRefused() throws {
        let dir = Fixtures.tempDir("none")
        #expect { try IndexReader(directory: dir) } throws: { e in "\(e)".contains("is not a Rank1 index") }
        Fixtures.write(String(repeating: "x", count: 600), to: dir + "/index.r1")
        #expect { try IndexReader(directory: dir) } throws: { e in "\(e)".contains("magic") }
    }
}
