import ArgumentParser
import Explorer
import Foundation
import Rerank
import Retrieval

/// The explorer: the curses interface on an index.
struct Explore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the explorer: type a query, watch BM25 answer and Rank1 re-judge with its reasoning.")

    @Option(help: "Index directory (default: the Debian corpus index built by setup).") var index: String?
    @Option(help: "Passages to rerank.") var k = 10
    @Option(help: "Log file.") var log: String?
    @Option(help: "Write keystroke-to-screen and BM25 latency percentiles to this file at exit.") var latencyTrace: String?
    @Flag(help: "BM25 only: do not load a model.") var noModel = false
    @Option(help: "A BEIR collection folder (corpus.jsonl, queries.jsonl, qrels/): pick its judged queries, see relevant passages and live nDCG@10.")
    var collection: String?
    @Option(help: "Qrels split of --collection.") var split = "test"
    @Option(
        name: .customLong("run"),
        help:
            "A run file (TREC, or the reference's JSON {qid: {docid: score}}) to step through: a list of its queries, each query's candidates as the result list, to read and rerank. Given twice (A, then B): the queries sorted by B's nDCG@10 minus A's, Enter shows both rankings side by side."
    )
    var runs: [String] = []
    @Option(help: "With --run: the queries' texts (queries.jsonl or qid<TAB>text); --collection gives them too.") var queries: String?
    @Option(help: "With --run: relevance judgments (BEIR TSV or TREC qrels) for nDCG@10; --collection gives them too.") var qrels: String?
    @Flag(help: "With --run: skip (and list) candidates whose ids are not in the index, instead of stopping.") var skipMissing = false
    @Option(help: "Your key map: entries that override Assets/keymap.json (same form, {context: {action: {keys}}}).") var keymap: String?
    @Option(help: "Colour theme (default Assets/theme.json).") var theme: String?
    @OptionGroup var judge: JudgeOptions
    @OptionGroup var modelOptions: ModelOptions

    /// Indexes a BEIR collection once (under the cache folder) and reads its judged queries.
    static func openCollection(_ path: String, split: String) throws -> (String, [CollectionQuery]) {
        let name = (path as NSString).lastPathComponent
        let dir = (TraceCache.defaultDirectory() as NSString).deletingLastPathComponent + "/collections/" + name
        let corpus = path + "/corpus.jsonl"
        guard FileSystem.exists(corpus) else { throw IndexError.badInput("\(path) is not a BEIR collection (no corpus.jsonl)") }
        let indexFile = dir + "/" + IndexFormat.fileName
        let stale =
            (try? FileManager.default.attributesOfItem(atPath: corpus)[.modificationDate] as? Date).map { c in
                ((try? FileManager.default.attributesOfItem(atPath: indexFile)[.modificationDate] as? Date) ?? .distantPast) < c
            } ?? true
        if !FileSystem.exists(indexFile) || stale {
            printError("indexing \(corpus) into \(dir) …")
            var src = try openCorpus(path: path, format: .beir)
            let w = try IndexWriter(directory: dir)
            while let d = try src.next() { try w.add(d) }
            try w.finish()
        }
        let qrels = try Qrels(path: path + "/qrels/\(split).tsv")
        let qs = try readQueries(path + "/queries.jsonl").filter { !qrels.relevant($0.id).isEmpty }
        return (dir, qs.map { CollectionQuery(id: $0.id, text: $0.text, relevant: qrels.relevant($0.id)) })
    }

    func validate() throws {
        guard runs.count <= 2 else { throw ValidationError("--run: at most two run files (A and B)") }
        try judge.inProcessOnly(endpoints: modelOptions.chosen().endpoints)
        guard (1...100).contains(k) else { throw ValidationError("--k is 1 to 100, got \(k)") }
        if !runs.isEmpty && collection == nil && queries == nil {
            throw ValidationError("--run needs the queries' texts: --queries FILE or --collection DIR")
        }
        if runs.count == 2 && collection == nil && qrels == nil {
            throw ValidationError("two runs are compared on nDCG@10: give --qrels FILE or --collection DIR")
        }
        if runs.isEmpty && (queries != nil || qrels != nil || skipMissing) {
            throw ValidationError("--queries, --qrels and --skip-missing go with --run")
        }
    }

    /// The run files as the explorer shows them, every candidate id checked against the index first. The queries'
    /// texts and judgments come from --queries and --qrels, else from the collection's judged queries (already read).
    func openRuns(reader: IndexReader, index: String, collectionQueries: [CollectionQuery]) throws -> RunSet {
        let textsFile = queries ?? collection.map { $0 + "/queries.jsonl" }!
        let texts =
            try queries.map { Dictionary(try readQueries($0).map { ($0.id, $0.text) }, uniquingKeysWith: { a, _ in a }) }
            ?? Dictionary(collectionQueries.map { ($0.id, $0.text) }, uniquingKeysWith: { a, _ in a })
        var judgments = try qrels.map { try Qrels(path: $0) }
        if judgments == nil && collection != nil {
            var q = Qrels()
            q.judgments = Dictionary(collectionQueries.map { ($0.id, $0.relevant) }, uniquingKeysWith: { a, _ in a })
            judgments = q
        }
        var loaded: [(name: String, run: Run)] = []
        for path in runs {
            let run = try Run(path: path)
            _ = try candidatesInIndex(
                run, path: path, queries: run.queryOrder.filter { texts[$0] != nil }, reader: reader,
                index: index, skipMissing: skipMissing)
            loaded.append(((path as NSString).lastPathComponent, run))
        }
        let set = RunSet(runs: loaded, texts: texts, qrels: judgments)
        guard !set.queries.isEmpty else { throw IndexError.badInput("no query of \(runs.joined(separator: " or ")) has a text in \(textsFile)") }
        return set
    }

    /// The engine, its profile choice (a server is probed before the screen opens: what it serves, how it shows
    /// </think>, which profile), or why there is none (the explorer then works on BM25 alone).
    func judge() async -> (engine: (any Reranker)?, choice: ProfileChoice?, problem: String?) {
        if noModel { return (nil, nil, "started with --no-model") }
        do {
            let engine = try modelOptions.makeReranker()
            return (engine, try await engine.prepare(), nil)
        } catch {
            return (nil, nil, "\(error)")
        }
    }

    /// Two judges (--judge twice), each prepared before the screen opens: one that cannot judge stops the command,
    /// named (the explorer does not fall back to BM25 alone when the user asked for two judges).
    func twoJudges() async throws -> [(name: String, engine: any Reranker, choice: ProfileChoice)]? {
        let judges = try RerankCommand.twoJudges(modelOptions)
        guard !judges.isEmpty else { return nil }
        var out: [(name: String, engine: any Reranker, choice: ProfileChoice)] = []
        for (name, engine) in judges {
            do { out.append((name, engine, try await engine.prepare())) } catch {
                printError("rank1: judge \(name): \(error)")
                throw ExitCode.failure
            }
        }
        return out
    }

    /// The second judge's settings: the flags', its own profile, the same starting instruction.
    func secondSettings(_ second: (name: String, engine: any Reranker, choice: ProfileChoice), _ first: RerankRequest) throws -> RerankRequest {
        var settings = try judge.request(query: "", passages: [], automatic: second.choice.profile, inProcess: second.engine is LlamaReranker)
        settings.profile = try judge.choice(automatic: second.choice).profile
        settings.instruction = first.instruction
        return settings
    }

    /// The colour theme: --theme, the config's, else the shipped one (absent: the terminal's colours).
    func theme(_ config: UserConfig) throws -> [Role: (Int16, Int16)] {
        let theme = self.theme ?? config.theme
        let path = theme ?? RuntimeDiscovery.projectRoot() + "/Assets/theme.json"
        guard theme != nil || FileManager.default.fileExists(atPath: path) else { return [:] }
        do { return try Terminal.loadTheme(path: path) } catch {
            printError("rank1: \(error)")
            throw ExitCode.failure
        }
    }

    func run() async throws {
        var dir = try index ?? defaultIndex()
        var queries: [CollectionQuery] = []
        if let c = collection {
            (dir, queries) = try reportingErrors { try Explore.openCollection(c, split: split) }
        }
        guard FileSystem.exists(dir + "/" + IndexFormat.fileName) else {
            printError("rank1: no index at \(dir); run scripts/setup.sh (builds the Debian corpus index) or pass --index DIR")
            throw ExitCode.failure
        }
        guard isatty(0) != 0 && isatty(1) != 0 else {
            printError("rank1: the explorer needs a terminal; for scripts use rank1 search / rank1 rerank")
            throw ExitCode.failure
        }
        let reader = try reportingErrors { () throws -> IndexReader in
            let r = try IndexReader(directory: dir)
            // The explorer shows and reranks passages: refuse an index without text before the screen opens.
            guard r.storesText else { throw IndexError.textNotStored(r.path) }
            return r
        }
        let runSet = runs.isEmpty ? nil : try reportingErrors { try openRuns(reader: reader, index: dir, collectionQueries: queries) }
        let judges = try await twoJudges()
        let first: (engine: (any Reranker)?, choice: ProfileChoice?, problem: String?) =
            if let j = judges?.first { (j.engine, j.choice, nil) } else { await judge() }
        let (engine, automaticChoice, problem) = first
        let config = try UserConfig.get()
        let start = try ExplorerStart.make(
            judge: self.judge, engine: engine, automatic: automaticChoice, problem: problem,
            corpusName: (dir as NSString).lastPathComponent, corpusSize: reader.documentCount, k: k, keymap: keymap ?? config.keymap)
        var setup = start.setup
        setup.collection = queries
        setup.collectionName = collection.map { ($0 as NSString).lastPathComponent }
        setup.runs = runSet
        setup.judges = judges?.map(\.name) ?? []
        let colours = try theme(config)
        let logPath = log ?? (TraceCache.defaultDirectory() as NSString).deletingLastPathComponent + "/explorer.log"
        let app = try ExplorerApp(reader: reader, setup: setup, engine: engine, logPath: logPath, latencyTrace: latencyTrace)
        app.effects.settings = start.settings
        if let second = judges?.last { app.effects.second = (second.engine, try secondSettings(second, start.settings)) }
        app.theme = colours
        ExplorerApp.installSignalHandlers()
        // curses lives on one dedicated thread, never on a Swift concurrency pool thread.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let t = Thread {
                app.run()
                app.writeLatencyReport()
                done.resume()
            }
            t.name = "rank1-ui"
            t.stackSize = 8 << 20
            t.start()
        }
    }
}
