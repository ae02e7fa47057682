import ArgumentParser
import Foundation
import Rerank
import Retrieval

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "BM25 search: one query, or a query file to a TREC run.")

    @Argument(help: "Index directory.") var index: String
    @Option(help: "The query.") var query: String?
    @Option(help: "Queries: queries.jsonl or qid<TAB>text lines.") var queries: String?
    @Option(help: "Hits per query.") var k = 10
    @Option(help: "Write a TREC run here (with --queries).") var trec: String?
    @Option(
        help: "Write per-query qid<TAB>wall_us<TAB>cpu_us here (cpu_us: this thread only; with --threads 2 the helper thread's share is not in it).")
    var latencies: String?
    @Option(help: "Run tag for TREC output.") var tag = "rank1"
    @Flag(help: "JSON output.") var json = false
    @OptionGroup var bm25: BM25Options
    @OptionGroup var threads: SearchThreadsOption

    func validate() throws {
        if (query == nil) == (queries == nil) { throw ValidationError("give exactly one of --query or --queries") }
        if query != nil, trec != nil || latencies != nil {
            throw ValidationError("--trec and --latencies go with --queries (one --query prints its hits)")
        }
        guard k >= 1 else { throw ValidationError("--k must be at least 1, got \(k)") }
    }

    func run() throws {
        try reportingErrors {
            let (reader, searcher) = try openSearch(index, bm25, threads)
            let out = Output.standard
            if let q = query {
                let hits = try searcher.search(q, k: k)
                // An index without stored text (--store none) shows ids only.
                let rows = try hits.map { h in
                    (id: try reader.documentID(h.doc), score: h.score, title: reader.storesText ? try reader.document(h.doc).title : "")
                }
                if json {
                    struct HitJSON: Encodable { let rank: Int, id: String, score: Float, title: String }
                    out.write(EventJSON.line(rows.enumerated().map { i, r in HitJSON(rank: i + 1, id: r.id, score: r.score, title: r.title) }) + "\n")
                } else {
                    for (i, r) in rows.enumerated() {
                        out.write("\(i + 1)\t\(String(format: "%.4f", r.score))\t\(r.id)\t\(r.title)\n")
                    }
                    if hits.isEmpty { printError("no matches") }
                }
                out.flush()
                return
            }
            let qs = try readQueries(queries!)
            var run: [UInt8] = []
            var lat = ""
            for (qid, text) in qs {
                let t0 = monotonicSeconds()
                let c0 = cpuSeconds()
                let hits = try searcher.search(text, k: k)
                let t1 = monotonicSeconds()
                let c1 = cpuSeconds()
                lat += "\(qid)\t\((t1 - t0) * 1e6)\t\((c1 - c0) * 1e6)\n"
                try appendTRECLines(hits, qid: qid, tag: tag, reader: reader, to: &run)
            }
            if let path = trec {
                try Data(run).write(to: URL(fileURLWithPath: path), options: .atomic)
            } else {
                out.write(run)
                out.flush()
            }
            if let path = latencies { try lat.write(toFile: path, atomically: true, encoding: .utf8) }
        }
    }
}

func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Break a document's BM25 score into idf, tf, k1, b, dl, avgdl per term.")
    @Argument(help: "Index directory.") var index: String
    @Option(help: "The query.") var query: String
    @Option(help: "Document id.") var doc: String
    @OptionGroup var bm25: BM25Options

    func run() throws {
        try reportingErrors {
            let reader = try IndexReader(directory: index)
            let searcher = try Searcher(index: reader, bm25: bm25.parameters)
            guard let n = try reader.documentNumber(forID: doc) else {
                throw IndexError.badInput("no document with id \"\(doc)\" in \(index)")
            }
            print(try searcher.explain(query, doc: n).render(id: doc), terminator: "")
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a stored document.")
    @Argument(help: "Index directory.") var index: String
    @Option(help: "Document id.") var doc: String
    @Flag(help: "JSON output.") var json = false

    func run() throws {
        try reportingErrors {
            let reader = try IndexReader(directory: index)
            guard let n = try reader.documentNumber(forID: doc) else {
                throw IndexError.badInput("no document with id \"\(doc)\" in \(index)")
            }
            let d = try reader.document(n)
            if json {
                struct DocumentJSON: Encodable { let id: String, title: String, text: String }
                print(EventJSON.line(DocumentJSON(id: d.id, title: d.title, text: d.text)))
            } else {
                print("\(d.id)\n\(d.title)\n\n\(d.text)")
            }
        }
    }
}
