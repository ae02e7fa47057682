import ArgumentParser
import Foundation
import Rerank
import Retrieval

/// Benchmarks (release builds; medians of repeated runs; ratios against a peer measured in the same run).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: the reranker against a bare llama.cpp decode loop.",
        subcommands: [BenchRerank.self])
}

struct BenchRerank: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerank",
        abstract: "Engine vs a bare batched decode loop: aggregate decode tokens/s, seconds per passage, time to first token.")

    @Argument(help: "Index directory.") var index: String
    @Option(help: "Query.") var query = "0-dimensional biomaterials show inductive properties."
    @Option(help: "Passages (BM25 top).") var passages = 16
    @Option(help: "Parallel sequences.") var parallel = 8
    @Option(help: "Reasoning tokens per passage.") var budget = 128
    @Option(name: .customLong("repeat"), help: "Repetitions (medians are reported).") var repetitions = 3
    @Option(help: "Prompt profile: auto (from the model's metadata) or rank1, chatml, chatml-demo, gemma, gemma-demo.")
    var profile = "auto"
    @OptionGroup var modelOptions: ModelOptions

    func run() async throws {
        let reader = try IndexReader(directory: index)
        let hits = try Searcher(index: reader).search(query, k: passages)
        let ps = try hits.map { h -> Passage in
            let d = try reader.document(h.doc)
            return Passage(id: d.id, title: d.title, text: d.text)
        }
        var options = modelOptions
        options.noCache = true  // every run must compute
        let engine = try options.makeLlama()
        let chosen = try resolveProfile(profile, automatic: engine.model.automaticProfile)
        var bare: [DecodeBaseline.Result] = []
        var ours: [(tps: Double, perPassage: Double, first: Double, tokens: Int, pure: Double)] = []
        for r in 0..<repetitions {
            // Alternate the order so drift on a shared machine hits both alike.
            let baselineFirst = r % 2 == 0
            // On the engine's own thread: llama.cpp's OpenMP thread team belongs to the calling thread, and a
            // second team left idle by another thread made the engine's decode steps ~40% slower.
            func runBare() async throws {
                let (model, threads) = (engine.model, modelOptions.threads)
                bare.append(try await engine.perform {
                    try DecodeBaseline.run(model: model, profile: chosen, query: query, instruction: nil, passages: ps, parallel: parallel,
                                           tokens: budget, maxPassageTokens: 384, threads: threads)
                })
            }
            if baselineFirst { try await runBare() }
            var req = RerankRequest(query: query, passages: ps)
            req.budget = budget
            req.parallel = parallel
            req.minReasoningTokens = budget  // every chain runs its whole budget, like the bare loop
            req.profile = chosen
            var stats: JobStats?
            for await e in engine.start(req) { if case .finished(let s) = e { stats = s } }
            if let s = stats {
                ours.append((s.decodeTokensPerSecond, s.seconds / Double(ps.count), s.firstTokenSeconds ?? .nan, s.decodeTokens,
                             s.pureDecodeTokensPerSecond))
            }
            if !baselineFirst { try await runBare() }
        }
        func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
        let bTps = median(bare.map(\.decodeTokensPerSecond)), eTps = median(ours.map(\.pure))
        print("model \(engine.modelName), profile \(chosen.name), \(ps.count) passages, parallel \(parallel), budget \(budget), \(modelOptions.threads) threads, \(repetitions) runs (medians)")
        print("aggregate decode tokens/s = tokens of decode steps / their time (prompt evaluation excluded)")
        // Per-passage time depends mostly on passage length: prompt evaluation is about as costly per token
        // as decoding here, so the prompt size is printed beside it.
        let b0 = bare[0]
        print(String(format: "prompts: %d tokens shared prefix + %.0f tokens per passage on average (%d passages)",
                     b0.prefixTokens, Double(b0.promptTokens - b0.prefixTokens) / Double(ps.count), ps.count))
        print(String(format: "bare decode loop: %.1f decode tokens/s, %.1f prompt tokens/s, %.2f s per passage (%d tokens)", bTps,
                     median(bare.map(\.promptTokensPerSecond)), median(bare.map { $0.seconds / Double(ps.count) }), b0.generatedTokens))
        print(String(format: "rank1 engine:     %.1f decode tokens/s, %.2f s per passage (%d reasoning tokens; chains that end early leave lanes idle)",
                     eTps, median(ours.map(\.perPassage)), ours.first?.tokens ?? 0))
        print(String(format: "ratio engine/bare: decode tokens/s %.3f, s per passage %.3f", eTps / bTps,
                     median(bare.map { $0.seconds / Double(ps.count) }) / median(ours.map(\.perPassage))))
        print(String(format: "first reasoning token after %.0f ms; first passage's prompt alone takes %.0f ms (+%.0f ms)",
                     median(ours.map(\.first)) * 1000, median(bare.map(\.firstPromptSeconds)) * 1000,
                     (median(ours.map(\.first)) - median(bare.map(\.firstPromptSeconds))) * 1000))
    }
}
