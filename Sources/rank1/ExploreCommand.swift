import ArgumentParser
import Foundation
import Rerank
import Retrieval

/// The explorer: the curses interface on an index.
struct Explore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the explorer: type a query, watch BM25 answer and Rank1 re-judge with its reasoning.")

    @Option(help: "Index directory (default: the Debian corpus index built by setup).") var index: String?
    @Option(help: "Passages to rerank.") var k = 10
    @Option(help: "Reasoning tokens per passage.") var budget = 256
    @Option(help: "Passages judged in parallel.") var parallel = 8
    @Option(help: "Log file.") var log: String?
    @Option(help: "Write keystroke-to-screen and BM25 latency percentiles to this file at exit.") var latencyTrace: String?
    @Flag(help: "BM25 only: do not load a model.") var noModel = false
    @OptionGroup var modelOptions: ModelOptions

    static func defaultIndex() -> String {
        if let env = ProcessInfo.processInfo.environment["RANK1_INDEX"] { return env }
        return RuntimeDiscovery.projectRoot() + "/.index/debian"
    }

    func run() async throws {
        let dir = index ?? Explore.defaultIndex()
        guard FileSystem.exists(dir + "/" + IndexFormat.fileName) else {
            printError("rank1: no index at \(dir); run scripts/setup.sh (builds the Debian corpus index) or pass --index DIR")
            throw ExitCode.failure
        }
        guard isatty(0) != 0 && isatty(1) != 0 else {
            printError("rank1: the explorer needs a terminal; for scripts use rank1 search / rank1 rerank")
            throw ExitCode.failure
        }
        let reader = try reportingErrors { try IndexReader(directory: dir) }
        var engine: LlamaReranker?
        var problem: String?
        if noModel {
            problem = "started with --no-model"
        } else {
            do { engine = try modelOptions.makeReranker() } catch { problem = "\(error)" }
        }
        let presets = Presets.names().compactMap { n in (try? Presets.load(n)).map { (n, $0) } }
        let logPath = log ?? (TraceCache.defaultDirectory() as NSString).deletingLastPathComponent + "/explorer.log"
        ExplorerApp.budget = budget
        ExplorerApp.parallel = parallel
        let app = try ExplorerApp(reader: reader, corpusName: (dir as NSString).lastPathComponent, engine: engine,
                                  engineProblem: problem, k: k, logPath: logPath, latencyTrace: latencyTrace, presets: presets)
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
