import Foundation
import Testing

@testable import Retrieval

/// Nothing dropped without a word (issue 17): empty and all-skipped corpora, unreadable files and folders,
/// old-Mac line endings, bytes appended to an index.
@Suite(.serialized) struct SilentDropTests {
    let bin = Fixtures.binary

    @Test func anEmptyOrAllSkippedCorpusIsAnErrorUnlessAllowed() throws {
        let dir = Fixtures.tempDir("empty")
        Fixtures.write("", to: dir + "/empty.jsonl")
        var r = try Fixtures.run([bin, "index", dir + "/empty.jsonl", "--out", dir + "/e"])
        #expect(r.status != 0 && r.err.contains("the corpus holds no document") && r.err.contains("--allow-empty"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/e/index.r1"))
        r = try Fixtures.run([bin, "index", dir + "/empty.jsonl", "--out", dir + "/e", "--allow-empty", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let empty = try IndexReader(directory: dir + "/e")
        #expect(empty.documentCount == 0)
        Fixtures.write("not json\nnor this\n", to: dir + "/bad.jsonl")
        r = try Fixtures.run([bin, "index", dir + "/bad.jsonl", "--out", dir + "/b", "--skip-bad"])
        #expect(r.status != 0 && r.err.contains("every record (2) was skipped") && r.err.contains("bad.jsonl:1"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/b/index.r1"))
    }

    @Test func loneCarriageReturnsEndLines() throws {
        let dir = Fixtures.tempDir("cr")
        let records = (1...3).map { "{\"_id\": \"\($0)\", \"text\": \"word\($0)\"}" }
        Fixtures.write(records.joined(separator: "\r") + "\r", to: dir + "/cr.jsonl")
        Fixtures.write(records[0] + "\r\n" + records[1] + "\r" + records[2] + "\n", to: dir + "/mixed.jsonl")
        for name in ["cr", "mixed"] {
            let r = try Fixtures.run([bin, "index", dir + "/\(name).jsonl", "--out", dir + "/\(name)", "--quiet"])
            #expect(r.status == 0, "\(r.err)")
            let idx = try IndexReader(directory: dir + "/\(name)")
            #expect(idx.documentCount == 3, "\(name): \(idx.documentCount) documents")
        }
        // TSV too, and the reader's line numbers count "\r" lines (errors say where).
        Fixtures.write("a\tfirst\rb\tsecond\rbroken line\r", to: dir + "/cr.tsv")
        let r = try Fixtures.run([bin, "index", dir + "/cr.tsv", "--out", dir + "/tsv"])
        #expect(r.status != 0 && r.err.contains("cr.tsv:3"), "\(r.err)")
    }

    @Test func unreadableFilesAndFoldersAreErrorsOrListedWhenSkipped() throws {
        let dir = Fixtures.tempDir("unreadable")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir)
        let corpus = dir + "/texts"
        try FileManager.default.createDirectory(atPath: corpus + "/locked", withIntermediateDirectories: true)
        Fixtures.write("Readable\nsome text", to: corpus + "/a.txt")
        Fixtures.write("Hidden\nmore text", to: corpus + "/locked/b.txt")
        try FileManager.default.createSymbolicLink(atPath: corpus + "/loop", withDestinationPath: "loop")
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: corpus + "/locked")
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: corpus + "/locked") }
        // root reads any folder: run as nobody, as a user would meet it.
        let asUser = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        var r = try Fixtures.run(asUser + [bin, "--version"])
        try #require(
            r.status == 0,
            "this test runs rank1 as the user nobody, who cannot run \(bin) here (a clone or toolchain in a private folder such as /root): \(r.err)"
        )
        r = try Fixtures.run(asUser + [bin, "index", corpus, "--out", dir + "/i", "--format", "text"])
        #expect(r.status != 0, "\(r.err)")
        #expect(r.err.contains("cannot read"), "\(r.err)")
        r = try Fixtures.run(asUser + [bin, "index", corpus, "--out", dir + "/i", "--format", "text", "--skip-bad", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        #expect(
            r.err.contains("skipped 2 bad records") && r.err.contains("locked: cannot read folder") && r.err.contains("loop: cannot read"),
            "\(r.err)")
        let idx = try IndexReader(directory: dir + "/i")
        #expect(idx.documentCount == 1)
    }

    /// Inputs that used to give a plausible wrong answer with status 0 now stop, saying what and where.
    @Test func misleadingInputsStopWithWhereAndWhy() throws {
        let dir = Fixtures.tempDir("misleading")
        // A JSONL corpus with its own field names: the flags apply to a .jsonl file, a misnamed one is an error.
        Fixtures.write("{\"id\": \"d1\", \"contents\": \"zebra crossing\"}\n", to: dir + "/docs.jsonl")
        var r = try Fixtures.run([bin, "index", dir + "/docs.jsonl", "--out", dir + "/i", "--id-field", "id"])
        #expect(r.status != 0 && r.err.contains("docs.jsonl:1") && r.err.contains("no text field \"text\""), "\(r.err)")
        r = try Fixtures.run([bin, "index", dir + "/docs.jsonl", "--out", dir + "/i", "--id-field", "id", "--text-field", "contents", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        r = try Fixtures.run([bin, "search", dir + "/i", "--query", "zebra"])
        #expect(r.status == 0 && r.out.contains("d1"), "\(r.out) \(r.err)")
        // A folder where a file belongs reads as an error, not as an empty file (qrels: BEIR's folder, not test.tsv).
        Fixtures.write("q1 Q0 d1 1 2.0 t\n", to: dir + "/run.trec")
        try FileManager.default.createDirectory(atPath: dir + "/qrels", withIntermediateDirectories: true)
        r = try Fixtures.run([bin, "eval", "--qrels", dir + "/qrels", dir + "/run.trec"])
        #expect(r.status != 0 && r.err.contains("qrels") && r.err.contains("Is a directory"), "\(r.err)")
        // A fractional grade is not rounded down; ids that never meet are not scored as zero.
        Fixtures.write("query-id\tcorpus-id\tscore\nq1\td1\t1.5\n", to: dir + "/frac.tsv")
        r = try Fixtures.run([bin, "eval", "--qrels", dir + "/frac.tsv", dir + "/run.trec"])
        #expect(r.status != 0 && r.err.contains("frac.tsv:2") && r.err.contains("not a whole number"), "\(r.err)")
        Fixtures.write("query-id\tcorpus-id\tscore\nPLAIN-1\td1\t1\n", to: dir + "/other.tsv")
        r = try Fixtures.run([bin, "eval", "--qrels", dir + "/other.tsv", dir + "/run.trec"])
        #expect(r.status != 0 && r.err.contains("no query id in common") && r.err.contains("\"PLAIN-1\""), "\(r.err)")
        r = try Fixtures.run([bin, "compare", dir + "/run.trec", dir + "/run.trec", "--qrels", dir + "/other.tsv"])
        #expect(r.status != 0 && r.err.contains("no query id in common"), "\(r.err)")
        // A document twice in one query's ranking has no single rank.
        Fixtures.write("q1 Q0 d1 1 2.0 t\nq1 Q0 d1 2 1.0 t\n", to: dir + "/twice.trec")
        Fixtures.write("q1\td1\t1\n", to: dir + "/good.tsv")
        r = try Fixtures.run([bin, "eval", "--qrels", dir + "/good.tsv", dir + "/run.trec"])
        #expect(r.status == 0 && r.out.contains("nDCG@10     1.0000"), "\(r.out) \(r.err)")
        r = try Fixtures.run([bin, "eval", "--qrels", dir + "/good.tsv", dir + "/twice.trec"])
        #expect(r.status != 0 && r.err.contains("twice.trec:2") && r.err.contains("listed twice"), "\(r.err)")
        // A Windows text file: its first line is the title, not the whole file.
        try FileManager.default.createDirectory(atPath: dir + "/texts", withIntermediateDirectories: true)
        Fixtures.write("The title\r\nthe body text\r\nmore\r\n", to: dir + "/texts/a.txt")
        r = try Fixtures.run([bin, "index", dir + "/texts", "--out", dir + "/x", "--format", "text", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let texts = try IndexReader(directory: dir + "/x")
        let title = try texts.document(0).title
        #expect(title == "The title", "\(title)")
        // A file without any TREC document in a TREC folder (a compressed one) is a bad record, not skipped unseen.
        try FileManager.default.createDirectory(atPath: dir + "/trec", withIntermediateDirectories: true)
        Fixtures.write("<DOC>\n<DOCNO>t1</DOCNO>\n<TEXT>kept</TEXT>\n</DOC>\n", to: dir + "/trec/a")
        Fixtures.write("\u{1F}binary stand-in\n", to: dir + "/trec/b.gz")
        r = try Fixtures.run([bin, "index", dir + "/trec", "--out", dir + "/t", "--format", "trec"])
        #expect(r.status != 0 && r.err.contains("b.gz") && r.err.contains("no <DOC>"), "\(r.err)")
        // Output that cannot be written is an error (a full disk), not a short run with status 0.
        r = try Fixtures.run(["/bin/sh", "-c", "exec \"$0\" search \"$1\" --query zebra > /dev/full", bin, dir + "/i"])
        #expect(r.status == 1 && r.err.contains("cannot write to standard output"), "\(r.status) \(r.err)")
    }

    @Test func checkNoticesBytesAppendedToTheIndex() throws {
        let dir = Fixtures.tempDir("append")
        Fixtures.write("{\"_id\": \"1\", \"text\": \"hello\"}\n", to: dir + "/c.jsonl")
        _ = try Fixtures.run([bin, "index", dir + "/c.jsonl", "--out", dir + "/i", "--quiet"])
        #expect(try Fixtures.run([bin, "check", dir + "/i"]).status == 0)
        let h = try #require(FileHandle(forWritingAtPath: dir + "/i/index.r1"))
        _ = try h.seekToEnd()
        h.write(Data("junk".utf8))
        try h.close()
        let r = try Fixtures.run([bin, "check", dir + "/i"])
        #expect(r.status != 0 && r.err.contains("4 bytes follow the index's last section"), "\(r.err)")
    }
}
