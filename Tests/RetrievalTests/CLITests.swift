import Foundation
import Testing

@testable import Retrieval

/// The rank1 binary driven as a user drives it: bad input, the serve protocol, kill during rebuild.
@Suite(.serialized) struct CLITests {
    let bin = Fixtures.binary

    @Test func malformedJSONStopsWithFileAndLine() throws {
        let dir = Fixtures.tempDir("bad")
        let corpus = dir + "/corpus.jsonl"
        Fixtures.write(
            """
            {"_id": "1", "title": "ok", "text": "fine"}
            {"_id": "2", "title": "broken", "text": "no closing quote}
            {"_id": "3", "title": "ok", "text": "also fine"}

            """, to: corpus)
        let r = try Fixtures.run([bin, "index", corpus, "--out", dir + "/idx"])
        #expect(r.status != 0)
        #expect(r.err.contains("corpus.jsonl:2: malformed JSON"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/idx/index.r1"))
        // Nothing half-written is left behind.
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/idx")) ?? []
        #expect(leftovers.isEmpty)
    }

    @Test func skipBadReportsWhatWasSkipped() throws {
        let dir = Fixtures.tempDir("skip")
        let corpus = dir + "/corpus.jsonl"
        var bytes = Array("{\"_id\": \"1\", \"text\": \"fine\"}\n{\"_id\": \"2\", \"text\": \"bad \u{1}\"}\n".utf8)
        bytes += Array("{\"_id\": \"3\", \"text\": \"latin1 ".utf8) + [0xE9] + Array("\"}\n".utf8)
        bytes += Array("{\"_id\": \"4\", \"text\": \"\"}\n{\"_id\": \"1\", \"text\": \"dup\"}\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: corpus))
        let r = try Fixtures.run([bin, "index", corpus, "--out", dir + "/idx", "--skip-bad"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.contains("skipped 3 bad records"))
        #expect(r.err.contains("corpus.jsonl:2: malformed JSON"))
        #expect(r.err.contains("corpus.jsonl:3: invalid UTF-8"))
        #expect(r.err.contains("corpus.jsonl:5: duplicate document id \"1\""))
        let idx = try IndexReader(directory: dir + "/idx")
        #expect(idx.documentCount == 2)
        #expect(try idx.documentNumber(forID: "4") == 1)  // the empty document is kept and findable
    }

    @Test func otherFormatsImport() throws {
        let dir = Fixtures.tempDir("formats")
        Fixtures.write("id\ttitle\ttext\nx1\tFirst\tthe first text\nx2\tSecond\tthe second one\n", to: dir + "/c.tsv")
        Fixtures.write("<DOC>\n<DOCNO> T1 </DOCNO>\n<TITLE>Trec title</TITLE>\n<TEXT>\nBody <b>text</b>\n</TEXT>\n</DOC>\n", to: dir + "/c.trec")
        try FileManager.default.createDirectory(atPath: dir + "/texts/sub", withIntermediateDirectories: true)
        Fixtures.write("Heading\nplain file body\n", to: dir + "/texts/sub/a.txt")
        Fixtures.write("{\"docid\": 7, \"body\": \"numbers as ids\"}\n", to: dir + "/c.jsonl")
        let cases: [([String], String, String)] = [
            (["--format", "tsv", dir + "/c.tsv"], "x2", "Second"),
            (["--format", "trec", dir + "/c.trec"], "T1", "Trec title"),
            (["--format", "text", dir + "/texts"], "sub/a.txt", "Heading"),
            (["--format", "jsonl", "--id-field", "docid", "--text-field", "body", "--title-field", "", dir + "/c.jsonl"], "7", ""),
        ]
        for (i, (args, id, title)) in cases.enumerated() {
            let out = dir + "/idx\(i)"
            let r = try Fixtures.run([bin, "index"] + args + ["--out", out])
            #expect(r.status == 0, "\(args): \(r.err)")
            let idx = try IndexReader(directory: out)
            let n = try #require(try idx.documentNumber(forID: id))
            #expect(try idx.document(n).title == title)
        }
        let trec = try IndexReader(directory: dir + "/idx1")
        #expect(try trec.document(0).text == "Body text")
    }

    @Test func serveSpeaksTheBenchProtocol() throws {
        let dir = Fixtures.tempDir("serve")
        Fixtures.write("{\"_id\":\"a\",\"text\":\"red apples\"}\n{\"_id\":\"b\",\"text\":\"green apples and pears\"}\n", to: dir + "/c.jsonl")
        #expect(try Fixtures.run([bin, "index", dir + "/c.jsonl", "--out", dir + "/idx", "--quiet"]).status == 0)
        let r = try Fixtures.run([bin, "serve", dir + "/idx", "--k", "5"], stdin: "q1\tapples\nq2\tpears\nq3\tnothing\n")
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "READY")
        #expect(lines[1].hasPrefix("q1 Q0 a 1 ") && lines[2].hasPrefix("q1 Q0 b 2 ") && lines[3] == "")
        #expect(lines[4].hasPrefix("q2 Q0 b 1 ") && lines[5] == "")
        #expect(lines[6] == "")  // no hits: just the empty line
    }

    /// `--store none` keeps ids and postings only: the same rankings, a smaller file, and a clear refusal
    /// where text is needed.
    @Test func storeNoneSearchesTheSameAndRefusesToShowText() throws {
        let dir = Fixtures.tempDir("store")
        var corpus = ""
        for i in 0..<300 {
            corpus +=
                "{\"_id\":\"d\(i)\",\"title\":\"Doc \(i)\",\"text\":\"apples \(i % 7 == 0 ? "pears" : "plums") number \(i) with a long enough body of words to store\"}\n"
        }
        Fixtures.write(corpus, to: dir + "/c.jsonl")
        #expect(try Fixtures.run([bin, "index", dir + "/c.jsonl", "--out", dir + "/text", "--quiet"]).status == 0)
        #expect(try Fixtures.run([bin, "index", dir + "/c.jsonl", "--out", dir + "/none", "--store", "none", "--quiet"]).status == 0)
        let queries = "q1\tapples pears\nq2\tplums number 42\n"
        let a = try Fixtures.run([bin, "serve", dir + "/text", "--k", "20"], stdin: queries)
        let b = try Fixtures.run([bin, "serve", dir + "/none", "--k", "20"], stdin: queries)
        #expect(a.status == 0 && b.status == 0)
        #expect(a.out == b.out && a.out.contains("q2 Q0 d42 1 "))
        let withText = try IndexReader(directory: dir + "/text")
        let without = try IndexReader(directory: dir + "/none")
        #expect(withText.storesText && !without.storesText)
        #expect(without.fileSize < withText.fileSize)
        let show = try Fixtures.run([bin, "show", dir + "/none", "--doc", "d1"])
        #expect(show.status != 0 && show.err.contains("--store none"))
        let list = try Fixtures.run([bin, "search", dir + "/none", "--query", "pears", "--k", "2"])
        #expect(list.status == 0 && list.out.hasPrefix("1\t") && list.out.contains("\td0\t"))
        let bad = try Fixtures.run([bin, "index", dir + "/c.jsonl", "--out", dir + "/x", "--store", "some"])
        #expect(bad.status == 64 && bad.err.contains("The value 'some' is invalid for '--store <text|none>'"))
    }

    @Test func killDuringRebuildKeepsThePreviousIndex() throws {
        let dir = Fixtures.tempDir("kill")
        let small = dir + "/small.jsonl"
        Fixtures.write("{\"_id\":\"old\",\"text\":\"the previous index\"}\n", to: small)
        #expect(try Fixtures.run([bin, "index", small, "--out", dir + "/idx", "--quiet"]).status == 0)
        // A corpus big enough that the rebuild is still running when it is killed.
        let big = dir + "/big.jsonl"
        _ = FileManager.default.createFile(atPath: big, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        var chunk = ""
        for i in 0..<400_000 { chunk += "{\"_id\":\"n\(i)\",\"text\":\"new document number \(i) with some words w\(i % 977)\"}\n" }
        h.write(Data(chunk.utf8))
        try h.close()
        for delay in [0.2, 0.5] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: bin)
            p.arguments = ["index", big, "--out", dir + "/idx", "--quiet", "--memory-mb", "1"]
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let idx = try IndexReader(directory: dir + "/idx")
            #expect(idx.documentCount == 1)
            #expect(try Searcher(index: idx).search("previous", k: 1).map(\.doc) == [0])
        }
        // The next build cleans the dead build's temporaries and replaces the index.
        #expect(try Fixtures.run([bin, "index", small, "--out", dir + "/idx", "--quiet"]).status == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir + "/idx")
        #expect(left == ["index.r1"])
    }

    @Test func evalAndExplainFromTheCommandLine() throws {
        let dir = Fixtures.tempDir("eval")
        Fixtures.write("q1 Q0 d1 1 2.5 t\nq1 Q0 d2 2 1.5 t\n", to: dir + "/run")
        Fixtures.write("query-id\tcorpus-id\tscore\nq1\td2\t1\n", to: dir + "/qrels.tsv")
        let r = try Fixtures.run([bin, "eval", "--qrels", dir + "/qrels.tsv", dir + "/run", "--json"])
        #expect(r.status == 0)
        #expect(r.out.contains("\"mrr@10\":0.5"))
        Fixtures.write("{\"_id\":\"a\",\"text\":\"red apples\"}\n", to: dir + "/c.jsonl")
        _ = try Fixtures.run([bin, "index", dir + "/c.jsonl", "--out", dir + "/idx", "--quiet"])
        let x = try Fixtures.run([bin, "explain", dir + "/idx", "--query", "apples", "--doc", "a"])
        #expect(x.out.contains("idf =") && x.out.contains("avgdl"))
        let missing = try Fixtures.run([bin, "explain", dir + "/idx", "--query", "apples", "--doc", "zz"])
        #expect(missing.status != 0 && missing.err.contains("no document with id \"zz\""))
    }
}
