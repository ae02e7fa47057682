import ArgumentParser
import Foundation
import Rerank
import Retrieval
import Service

/// `rank1 serve`: BM25 over a pipe (the benchmark harness's protocol), or with `--http` the rerank service.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer BM25 queries from stdin, or with --http serve Rank1 over HTTP (Cohere/Jina rerank, search, health, metrics).",
        discussion: """
            Without --http: prints READY, then for each `qid<TAB>text` line the TREC hits and an empty line (--threads 1 or 2: \
            threads per query).
            With --http [HOST:]PORT: POST /v1/rerank and /v2/rerank (Cohere), /rerank (Jina), /v1/search (with an index), GET /health, \
            /metrics (Prometheus), /openapi.json. Judging as `rank1 rerank` does: in-process, or --endpoint servers. README: Serving.
            """)

    @Argument(help: "Index directory (needed without --http; with it, /v1/search answers from it).") var indexArgument: String?
    @Option(name: .customLong("index"), help: "The index directory, given as an option (the same as the argument).") var indexOption: String?
    var index: String? { indexOption ?? indexArgument }
    @Option(help: "Hits per query (pipe form).") var k = 100
    @Option(help: "Run tag (pipe form).") var tag = "rank1"
    @Option(help: "Serve HTTP on [HOST:]PORT (HOST default 127.0.0.1; 0.0.0.0 for every interface; PORT 0: any free port, printed).")
    var http: String?
    @Option(help: "A file holding the API key every rerank and search request must send (Authorization: Bearer KEY).") var apiKeyFile: String?
    @Option(help: "Documents one rerank request may carry (more: 413).") var maxDocuments = 1000
    @Option(help: "Largest request body in bytes (more: 413).") var maxBody = 4 << 20
    @Option(help: "Requests that may wait for the judge (one more: 429 with Retry-After).") var queue = 16
    @Option(help: "Seconds a request may take from arrival to answer (past it: 504, its judgments stopped).") var requestDeadline = 600.0
    @OptionGroup var bm25: BM25Options
    @OptionGroup var judge: JudgeOptions
    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        guard maxDocuments >= 1, maxBody >= 1024, queue >= 0, requestDeadline > 0 else {
            throw ValidationError("--max-documents ≥ 1, --max-body ≥ 1024, --queue ≥ 0 and --request-deadline > 0")
        }
        if indexOption != nil && indexArgument != nil { throw ValidationError("give the index once: as an argument or with --index") }
        if http == nil && index == nil { throw ValidationError("give an index directory (or --http [HOST:]PORT to serve over HTTP)") }
        if let h = http, ServeAddress.parse(h) == nil { throw ValidationError("--http is [HOST:]PORT with PORT 0 to 65535, got \"\(h)\"") }
        try judge.inProcessOnly(endpoints: modelOptions.chosen().endpoints)
    }

    func run() async throws {
        guard let http, let address = ServeAddress.parse(http) else { return try pipe() }
        var settings = ServiceSettings()
        (settings.host, settings.port) = address
        settings.maxDocuments = maxDocuments
        settings.maxBodyBytes = maxBody
        settings.queueLimit = queue
        settings.requestDeadline = requestDeadline
        settings.apiKey = try reportingErrors { try apiKeyFile.map(ServeAddress.readKey) }
        let state = JudgeState()
        let metrics = ServiceMetrics()
        let service = try reportingErrors { try RerankService(settings: settings, state: state, metrics: metrics, indexPath: index) }
        let options = (judge, modelOptions)
        let (host, queue) = (settings.host, settings.queueLimit)
        try await service.run { port in
            printError("rank1: serving on http://\(host):\(port) (GET /health says when the judge is ready; /openapi.json)")
            Task.detached { await ServeJudge.load(options.0, options.1, state: state, metrics: metrics, queue: queue) }
        }
    }

    /// The pipe form: READY, then TREC hits for each query line.
    private func pipe() throws {
        try reportingErrors {
            let reader = try IndexReader(directory: index!)
            let searcher = try Searcher(index: reader, bm25: bm25.parameters)
            searcher.parallelism = min(2, max(1, modelOptions.threads))
            let out = Output.standard
            out.write("READY\n")
            out.flush()
            var lines: [UInt8] = []
            while let line = readLine(strippingNewline: true) {
                let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
                let (qid, text) = parts.count == 2 ? (String(parts[0]), String(parts[1])) : ("q", line)
                let hits = try searcher.search(text, k: k)
                lines.removeAll(keepingCapacity: true)
                try appendTRECLines(hits, qid: qid, tag: tag, reader: reader, to: &lines)
                lines.append(0x0A)
                out.write(lines)
                out.flush()
            }
        }
    }
}

enum ServeAddress {
    /// `PORT` or `HOST:PORT` (an IPv6 host in brackets: `[::1]:8080`).
    static func parse(_ s: String) -> (String, Int)? {
        let (host, port): (String, Substring)
        if let colon = s.lastIndex(of: ":") {
            host = String(s[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            port = s[s.index(after: colon)...]
        } else {
            (host, port) = ("127.0.0.1", Substring(s))
        }
        guard let p = Int(port), (0...65535).contains(p), !host.isEmpty else { return nil }
        return (host, p)
    }

    /// The key in `path` (surrounding whitespace dropped); an empty or unreadable file is an error naming it.
    static func readKey(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw RerankError("--api-key-file \(path): cannot be read") }
        let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw RerankError("--api-key-file \(path): empty") }
        return key
    }
}

/// Loads the service's judge after the server listens: the model (or the fleet's probe), then the template every
/// request is judged with (the flags of `rank1 rerank`). A fleet that does not answer yet is asked again every 5 s.
enum ServeJudge {
    static func load(_ judge: JudgeOptions, _ options: ModelOptions, state: JudgeState, metrics: ServiceMetrics, queue: Int) async {
        do {
            let engine = try options.makeReranker()
            var choice: ProfileChoice?
            while choice == nil {
                do { choice = try await engine.prepare() } catch {
                    guard !(engine is LlamaReranker) else { throw error }
                    await state.loading("waiting for the servers: \(error)")
                    printError("rank1: \(error) (asking again in 5 s)")
                    try await Task.sleep(nanoseconds: 5_000_000_000)
                }
            }
            let chosen = try judge.choice(automatic: choice!)
            var template = try judge.request(query: "", passages: [], automatic: choice!.profile, inProcess: engine is LlamaReranker)
            template.profile = chosen.profile
            let ready = ReadyJudge(
                queue: JudgeQueue(reranker: engine, limit: queue, metrics: metrics, cache: options.noCache ? nil : TraceCache()), template: template,
                model: engine.modelName,
                backend: engine.backendName)
            await state.ready(ready)
            printError("rank1: ready: \(engine.modelName) (\(engine.backendName), profile \(chosen.profile.name))")
        } catch {
            await state.failed("\(error)")
            printError("rank1: cannot judge: \(error) (the server answers 503 until it is restarted)")
        }
    }
}
