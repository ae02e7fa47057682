import ArgumentParser
import Foundation
import Pipeline
import Rerank
import Retrieval

/// Writes to stdout through one buffer; flush explicitly (the serve protocol needs it per query).
final class Output {
    nonisolated(unsafe) static let standard = Output()
    private var buffer: [UInt8] = []

    func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    func write(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count > 1 << 16 { flush() }
    }

    func flush() {
        buffer.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = Glibc.write(1, b.baseAddress! + off, b.count - off)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { Output.failed(errno) }
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// A run cut short by a full disk must not end with status 0: say so and stop (a closed pipe, the reader
    /// gone as with `| head`, needs no message).
    static func failed(_ code: Int32) -> Never {
        if code != EPIPE { printError("rank1: cannot write to standard output: \(String(cString: strerror(code)))") }
        exit(1)
    }
}

func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Runs `body`, turning library errors into a clean message and exit status 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw reported(error) }
}

func reportingAsyncErrors<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch { throw reported(error) }
}

/// Metrics over no query would print as zeros with status 0: when two files share no query id, stop and show
/// a few ids of each (the usual cause is ids written differently, "1" against "PLAIN-1").
func requireSharedQueries(_ a: (path: String, ids: [String]), _ b: (path: String, ids: [String])) throws {
    let inB = Set(b.ids)
    guard !a.ids.contains(where: inB.contains) else { return }
    func sample(_ ids: [String]) -> String {
        ids.isEmpty ? "none" : ids.prefix(3).map { "\"\($0)\"" }.joined(separator: ", ") + (ids.count > 3 ? ", …" : "")
    }
    throw CorpusError(
        a.path, "no query id in common with \(b.path) (here: \(sample(a.ids)); there: \(sample(b.ids.sorted())))")
}

/// A library error (bad input, a damaged index) printed as `rank1: …`, then exit status 1; others pass as they are.
private func reported(_ error: Error) -> Error {
    switch error {
    case let e as IndexError: printError("rank1: \(e.description)")
    case let e as CorpusError: printError("rank1: \(e.description)")
    default: return error
    }
    return ExitCode.failure
}

struct SearchThreadsOption: ParsableArguments {
    @Option(
        help:
            "Threads per query, 1 or 2: with 2, a query with many postings is split over two document ranges searched at once (same results). Default: 2 on a machine with 2+ cores."
    )
    var threads: Int?

    func validate() throws {
        if let t = threads, !(1...2).contains(t) { throw ValidationError("--threads must be 1 or 2") }
    }

    var parallelism: Int { threads ?? min(2, ProcessInfo.processInfo.activeProcessorCount) }
}

struct BM25Options: ParsableArguments {
    @Option(help: "BM25 k1.") var k1: Float = 0.9
    @Option(help: "BM25 b.") var b: Float = 0.4
    var parameters: BM25 { BM25(k1: k1, b: b) }
}

/// An index opened for search with these BM25 parameters and threads per query.
func openSearch(_ index: String, _ bm25: BM25Options, _ threads: SearchThreadsOption) throws -> (IndexReader, Searcher) {
    let reader = try IndexReader(directory: index)
    let searcher = try Searcher(index: reader, bm25: bm25.parameters)
    searcher.parallelism = threads.parallelism
    return (reader, searcher)
}

/// Queries from `queries.jsonl` ({"_id", "text"}) or `qid<TAB>text` lines.
func readQueries(_ path: String) throws -> [(id: String, text: String)] {
    var out: [(String, String)] = []
    var source: any DocumentSource
    if path.hasSuffix(".jsonl") || path.hasSuffix(".json") {
        // FollowIR-style sets give each query an instruction: joined as the Rank1 reference does.
        source = try JSONLReader(path: path, fields: JSONLFields(id: "_id", title: "instruction", text: "text"))
        while let q = try source.next() { out.append((q.id, q.title.isEmpty ? q.text : Rank1Prompt.joined(query: q.text, instruction: q.title))) }
        return out
    } else {
        source = try TSVReader(path: path)
    }
    while let q = try source.next() {
        out.append((q.id, q.title.isEmpty ? q.text : q.title + " " + q.text))
    }
    return out
}

/// A run's candidates for `queries`, looked up in the index by id. Ids the index lacks stop the command with the
/// first few and their count, or with `skipMissing` are skipped and listed.
func candidatesInIndex(
    _ run: Run, path: String, queries: [String], reader: IndexReader, index: String,
    skipMissing: Bool
) throws -> [String: [RerankEvaluation.Candidate]] {
    var found: [String: [RerankEvaluation.Candidate]] = [:]
    var missing: [String] = []
    for q in queries {
        for c in run.ranked(q) {
            if let d = try reader.documentNumber(forID: c.doc) {
                found[q, default: []].append((d, c.doc, c.score))
            } else {
                missing.append("\(q) \(c.doc)")
            }
        }
    }
    if !missing.isEmpty {
        let list = missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", …" : "")
        if !skipMissing {
            printError("rank1: \(path): \(missing.count) candidate ids are not in \(index): \(list) (--skip-missing skips them)")
            throw ExitCode.failure
        }
        printError("rank1: skipping \(missing.count) candidates of \(path) not in the index: \(list)")
    }
    return found
}
