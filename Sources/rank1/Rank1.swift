import ArgumentParser
import Retrieval

@main
struct Rank1: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rank1",
        abstract: "Rank1 Explorer: BM25 search and Rank1 reasoning reranking in the terminal.",
        discussion: """
            With no subcommand, opens the explorer on the default corpus (built by scripts/setup.sh).
            """,
        subcommands: [Explore.self, Index.self, Search.self, Serve.self, Eval.self, Explain.self, Show.self, RerankCommand.self, Analyze.self, Check.self, Bench.self, Compare.self],
        defaultSubcommand: Explore.self)
}
