import ArgumentParser
import Explorer
import Foundation
import Rerank
import Retrieval

/// `rank1 bench explorer`: the explorer's own path without a terminal. Keys go through the key map and
/// `Explorer.update`, effects through the same runner as the curses app, engine events back as messages; the clock
/// starts at the key that asks for judging (Enter after the query, the apply key after an instruction edit).
struct BenchExplorer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explorer",
        abstract:
            "The explorer's path, headless: seconds from Enter to the first direct verdict, to a score on every top-N row, to a final top N; and the same after an instruction edit.",
        discussion: """
            Each query is typed and judged as in the explorer (its defaults: the top 10 reranked, the default model, no \
            trace cache), then the instruction is edited to the --edit preset and applied. "scored": every row of the \
            top N (as shown) has a score of this job (its direct verdict or its verdict; a stale one does not count); \
            "final": from then on the top N, in order, does not change and every row of it holds its chain's verdict. \
            Medians over --repeat runs. Rates are the job's own: prompt tokens per second of the steps that held \
            prompts, reasoning tokens per second of the steps that held only reasoning.
            """)

    @Argument(help: "Index directory (default: the Debian corpus index built by setup).") var index: String?
    @Option(help: "Query (repeat for several; default: five typical queries of the Debian corpus).") var query: [String] = []
    @Option(help: "Passages reranked (the explorer's --k).") var k = 10
    @Option(help: "Rows of the top that must be scored and final.") var top = 8
    @Option(name: .customLong("repeat"), help: "Runs per query (medians are reported).") var repetitions = 3
    @Option(help: "The preset the instruction is edited to after the first ranking.") var edit = "package"
    @Option(help: "Terminal size the explorer lays out (rows on screen are judged first).") var size = "120x40"
    @Flag(help: "JSON Lines: one line per run, then one with the medians.") var json = false
    @OptionGroup var judge: JudgeOptions
    @OptionGroup var modelOptions: ModelOptions

    static func parseSize(_ s: String) -> (Int, Int)? {
        let parts = s.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 40, parts[1] >= 10 else { return nil }
        return (parts[0], parts[1])
    }

    func validate() throws {
        guard (1...100).contains(k), (1...k).contains(top) else { throw ValidationError("--k is 1 to 100 and --top 1 to --k") }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard BenchExplorer.parseSize(size) != nil else { throw ValidationError("--size is COLUMNSxROWS, e.g. 120x40; got \(size)") }
    }

    func run() async throws {
        let dir = try index ?? defaultIndex()
        let reader = try reportingErrors { try IndexReader(directory: dir) }
        let engine = try modelOptions.makeReranker(cache: false)
        let start = try ExplorerStart.make(
            judge: judge, engine: engine, automatic: try await prepared(engine), corpusName: (dir as NSString).lastPathComponent,
            corpusSize: reader.documentCount, k: k, keymap: nil)
        let template = try reportingErrors { try Presets.load(edit) }
        let (width, height) = BenchExplorer.parseSize(size)!
        let queries = query.isEmpty ? BenchRerank.defaultQueries : query
        var all: [String: [BenchTimes]] = [:]
        func say(_ line: String) {
            Output.standard.write(line + "\n")
            Output.standard.flush()  // a line per query as it ends: the whole run takes minutes
        }
        if !json {
            say(
                "model \(engine.modelName) (\(engine.backendName)), profile \(start.settings.profile?.name ?? "?"), top \(k) reranked, times for the top \(top)"
            )
            say(BenchTimes.header)
        }
        for q in queries {
            var runs: [BenchTimes] = []
            for _ in 0..<repetitions {
                let session = try HeadlessExplorer(reader: reader, engine: engine, start: start, width: width, height: height)
                let first = try await session.search(q, top: top)
                let edited = try await session.editInstruction(template, top: top)
                let t = BenchTimes(query: q, first: first, edited: edited)
                if json { say(EventJSON.line(t)) }
                runs.append(t)
            }
            all[q] = runs
            if !json { say(BenchTimes.median(runs, label: q).row) }
        }
        let overall = BenchTimes.median(queries.flatMap { all[$0]! }, label: "median of all")
        say(json ? EventJSON.line(overall) : overall.row)
    }
}

/// One job's times, seen from the screen.
struct JobTimes: Codable {
    /// Seconds from the key to the first direct verdict, to a score of this job on every top-N row, to a final top N.
    var firstDirect: Double?
    var topScored: Double?
    var topFinal: Double?
    var promptTokensPerSecond: Double
    var decodeTokensPerSecond: Double
    var promptTokens: Int
    var reasoningTokens: Int
}

struct BenchTimes: Codable {
    var query: String
    var first: JobTimes
    var edited: JobTimes

    static let header =
        "query                        |  first direct  top scored  top final | after edit: direct  scored   final | prompt tok/s  reasoning tok/s"

    var row: String {
        func s(_ v: Double?, _ width: Int) -> String {
            let t = v.map { String(format: "%.1f", $0) } ?? "-"
            return String(repeating: " ", count: max(0, width - t.count)) + t
        }
        let name = String(query.prefix(28)).padding(toLength: 28, withPad: " ", startingAt: 0)
        return "\(name) | \(s(first.firstDirect, 13)) \(s(first.topScored, 11)) \(s(first.topFinal, 10)) | "
            + "\(s(edited.firstDirect, 18)) \(s(edited.topScored, 7)) \(s(edited.topFinal, 7)) | "
            + "\(s(first.promptTokensPerSecond, 12)) \(s(first.decodeTokensPerSecond, 16))"
    }

    static func median(_ runs: [BenchTimes], label: String) -> BenchTimes {
        func m(_ f: (BenchTimes) -> Double?) -> Double? {
            let v = runs.compactMap(f)
            return v.count == runs.count ? Retrieval.median(v) : nil
        }
        func jobs(_ j: (BenchTimes) -> JobTimes) -> JobTimes {
            JobTimes(
                firstDirect: m { j($0).firstDirect }, topScored: m { j($0).topScored }, topFinal: m { j($0).topFinal },
                promptTokensPerSecond: m { j($0).promptTokensPerSecond } ?? 0, decodeTokensPerSecond: m { j($0).decodeTokensPerSecond } ?? 0,
                promptTokens: Int(m { Double(j($0).promptTokens) } ?? 0), reasoningTokens: Int(m { Double(j($0).reasoningTokens) } ?? 0))
        }
        return BenchTimes(query: label, first: jobs(\.first), edited: jobs(\.edited))
    }
}
