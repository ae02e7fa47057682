import ArgumentParser
import Foundation
import Rerank
import Retrieval

@main
struct Rank1: AsyncParsableCommand {
    static let version = "0.20.0"

    static let configuration = CommandConfiguration(
        commandName: "rank1",
        abstract: "Rank1 Explorer: BM25 search and Rank1 reasoning reranking in the terminal.",
        discussion: """
            With no subcommand, opens the explorer on the default corpus (built by scripts/setup.sh). \
            `rank1 --version` says the version, the llama.cpp build and where the runtime was found.
            """,
        subcommands: [
            Explore.self, Index.self, Search.self, Serve.self, Eval.self, Explain.self, Show.self, RerankCommand.self, Analyze.self, Check.self,
            Bench.self, Compare.self,
        ],
        defaultSubcommand: Explore.self)

    /// `--version` is answered here: the explorer is the default subcommand, so the parser would take it as the
    /// explorer's (unknown) flag.
    static func main() async {
        if CommandLine.arguments.count == 2 && CommandLine.arguments[1] == "--version" {
            print(versionReport())
            return
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
            // What print() buffered is written now, so a failed write (a full disk) is an error, not status 0.
            if fflush(nil) != 0 { Output.failed(errno) }  // nil: every stream, stdout among them
        } catch {
            exit(withError: error)
        }
    }

    static func versionReport() -> String {
        let root = RuntimeDiscovery.projectRoot()
        let lib = RuntimeDiscovery.libraryPath(root: root)
        let model = RuntimeDiscovery.modelPath(root: root)
        let index = (try? defaultIndex()) ?? root + "/.index/debian"
        let config = RuntimeDiscovery.configPath()
        func state(_ path: String) -> String { FileManager.default.fileExists(atPath: path) ? path : path + " (missing: run scripts/setup.sh)" }
        return """
            rank1 \(version)
            runtime: \(root) (\(RuntimeDiscovery.rootOrigin()))
            llama.cpp: \(RuntimeDiscovery.llamaBuild(libraryPath: lib).map { "\($0), \(lib)" } ?? state(lib))
            default model: \(RuntimeDiscovery.defaultModel), \(state(model))
            default index: \(state(index + "/" + IndexFormat.fileName))
            config: \(config)\(FileManager.default.fileExists(atPath: config) ? "" : " (none)")
            """
    }
}
