import ArgumentParser
import Foundation
import Pipeline
import Rerank
import Retrieval

/// Benchmarks (release builds; medians of repeated runs; ratios against a peer measured in the same run).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: the reranker against a bare llama.cpp decode loop; the remote client against a synthetic server.",
        subcommands: [BenchRerank.self, BenchClient.self, BenchExplorer.self])
}

struct BenchRerank: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerank",
        abstract: "Engine vs a bare batched decode loop: aggregate decode tokens/s, seconds per passage, time to first token.",
        discussion: """
            Each query's BM25 top passages are judged by the engine (every chain runs its whole budget) and by a bare \
            llama.cpp batched decode loop (same model, prompts, parallelism and threads; no verdict), alternating \
            which goes first. Without --query, five typical queries of the default (Debian) corpus are used.
            """)

    /// Typical queries of the default corpus: seconds per passage depend mostly on prompt length, so the
    /// default is a spread of them rather than one.
    static let defaultQueries = ["terminal file manager", "pdf viewer", "python web framework", "network traffic monitor", "image editor"]

    @Argument(help: "Index directory.") var index: String
    @Option(help: "Query (repeat for several; default: five typical queries of the Debian corpus).") var query: [String] = []
    @Option(help: "Passages (BM25 top) per query.") var passages = 16
    @Option(help: "Parallel sequences.") var parallel = 8
    @Option(help: "Reasoning tokens per passage.") var budget = 128
    @Option(help: "Passages longer than this many tokens are cut (at a word boundary).") var maxPassageTokens = 384
    @Option(name: .customLong("repeat"), help: "Repetitions per query (medians are reported).") var repetitions = 3
    @Option(help: "Prompt profile: auto (from the model's metadata) or a named one.")
    var profile = ProfileArgument.auto
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Also run the engine with prompt-lookup drafts (on) and report its ratio to drafts off and to the bare loop.")
    var draft = Switch.on
    @Option(help: "With --draft on: tokens drafted per step, 1 to 6; 0 adapts.") var draftTokens = 0
    @Option(help: "Also run the engine with verdict probes and report what they cost against probes off.")
    var probe = Switch.on

    private struct EngineRun {
        var decodeTokensPerSecond: Double
        var perPassage: Double
        var firstToken: Double
        var reevaluatedPerPassage: Double
        var acceptance: Double
        var tokensPerStep: Double
        var probes: Int
        var stepCost: StepCost
    }

    /// The engine with drafts or with probes, measured against the engine without in the same run.
    private struct Variant {
        let name: String  // "drafts", "probes"
        var runs: [EngineRun] = []  // this query's
        var all: [Double] = []  // s/passage of every run
        var ratios: [Double] = []  // per query: its median s/passage over the engine's without it

        /// Ends a query: keeps its runs and prints their line, with `detail` (what this variant adds) after it.
        mutating func endQuery(engine eSec: Double, bare bSec: Double, detail: ([EngineRun]) -> String) {
            guard !runs.isEmpty else { return }
            let sec = median(runs.map(\.perPassage))
            all += runs.map(\.perPassage)
            ratios.append(sec / eSec)
            print(String(format: "  with %@: %.2f s/psg, %.3f× %@ off, %.3f× bare; ", name, sec, sec / eSec, name, sec / bSec) + detail(runs))
            runs = []
        }

        func summary(engine: [Double], bare: [Double]) {
            guard !all.isEmpty else { return }
            print(
                String(
                    format: "%@ on (medians of every run): %.2f s per passage, %.3f× %@ off (per query %.3f–%.3f), %.3f× the bare loop",
                    name, median(all), median(all) / median(engine), name, ratios.min()!, ratios.max()!, median(all) / median(bare)))
        }
    }

    func validate() throws {
        guard passages >= 1, parallel >= 1, budget >= 1, repetitions >= 1 else {
            throw ValidationError("--passages, --parallel, --budget and --repeat must be at least 1")
        }
        guard budget <= 1 << 20 else { throw ValidationError("--budget is at most 1,048,576 tokens, got \(budget)") }
        guard (0...6).contains(draftTokens) else { throw ValidationError("--draft-tokens is 0 (adaptive) to 6, got \(draftTokens)") }
    }

    /// All runs of the whole benchmark, for the closing line.
    private struct Totals {
        var bare: [Double] = []
        var ours: [Double] = []
        var bareTps: [Double] = []
        var oursTps: [Double] = []
        var ratios: [Double] = []
        var firstExcess: [Double] = []
        var drafted = Variant(name: "drafts")
        var probed = Variant(name: "probes")
    }

    func run() async throws {
        let reader = try IndexReader(directory: index)
        let searcher = try Searcher(index: reader)
        var options = modelOptions
        options.noCache = true  // every run must compute
        let engine = try options.makeLlama()
        let chosen = profile.resolved(automatic: engine.model.automaticProfile.profile)
        print(
            "model \(engine.modelName), profile \(chosen.name), \(passages) passages per query, parallel \(parallel), budget \(budget), "
                + "\(modelOptions.threads) threads, \(repetitions) runs per query (medians)")
        print("decode tokens/s = tokens of pure decode steps / their time; s/passage = job time / passages (prompts, reasoning, verdicts)")
        print(
            "query                          | prompt tok | bare dec tok/s | bare prompt tok/s | bare s/psg | engine dec tok/s | engine s/psg | re-eval tok/psg | first token ms (prompt alone)"
        )
        var totals = Totals()
        for q in query.isEmpty ? BenchRerank.defaultQueries : query {
            let hits = try searcher.search(q, k: passages)
            guard !hits.isEmpty else {
                print("\(q): no BM25 hits, skipped")
                continue
            }
            try await measure(q, try Candidates.passages(hits.map(\.doc), in: reader), engine: engine, profile: chosen, into: &totals)
        }
        guard !totals.ratios.isEmpty else { return }
        let t = totals
        print(
            String(
                format: "all queries (medians of every run): s per passage bare %.2f, engine %.2f; decode tokens/s bare %.1f, engine %.1f, "
                    + "ratio %.3f (per query %.3f–%.3f); first token %+.0f to %+.0f ms against the first prompt alone",
                median(t.bare), median(t.ours), median(t.bareTps), median(t.oursTps), median(t.oursTps) / median(t.bareTps), t.ratios.min()!,
                t.ratios.max()!, t.firstExcess.min()! * 1000, t.firstExcess.max()! * 1000))
        t.drafted.summary(engine: t.ours, bare: t.bare)
        t.probed.summary(engine: t.ours, bare: t.bare)
        print(
            "prompt tok: shared prefix (evaluated once) + each passage's own tokens; re-eval tok/psg: tokens evaluated again for the verdict "
                + "(the forced close re-tokenizes prompt + cut reasoning + \"\\n</think>\"; the tail that differs from the cache is fed anew)")
    }

    /// One query: the bare loop and the engine (and its variants) `repetitions` times, alternating which goes first so
    /// that drift on a shared machine hits both alike; prints the query's line and adds its runs to `totals`.
    private func measure(_ q: String, _ ps: [Passage], engine: LlamaReranker, profile chosen: PromptProfile, into totals: inout Totals)
        async throws
    {
        let n = Double(ps.count)
        var bare: [DecodeBaseline.Result] = []
        var ours: [EngineRun] = []
        for r in 0..<repetitions {
            let baselineFirst = r % 2 == 0
            if baselineFirst { bare.append(try await runBare(q, ps, engine: engine, profile: chosen)) }
            if draft == .on && !baselineFirst { totals.drafted.runs.append(try await runEngine(q, ps, engine, chosen, draft: true)) }
            if probe == .on && !baselineFirst { totals.probed.runs.append(try await runEngine(q, ps, engine, chosen, probe: true)) }
            ours.append(try await runEngine(q, ps, engine, chosen))
            if probe == .on && baselineFirst { totals.probed.runs.append(try await runEngine(q, ps, engine, chosen, probe: true)) }
            if draft == .on && baselineFirst { totals.drafted.runs.append(try await runEngine(q, ps, engine, chosen, draft: true)) }
            if !baselineFirst { bare.append(try await runBare(q, ps, engine: engine, profile: chosen)) }
        }
        let b0 = bare[0]
        let barePerPassage = bare.map { $0.seconds / n }
        let (bTps, eTps) = (median(bare.map(\.decodeTokensPerSecond)), median(ours.map(\.decodeTokensPerSecond)))
        let (bSec, eSec) = (median(barePerPassage), median(ours.map(\.perPassage)))
        let (first, alone) = (median(ours.map(\.firstToken)), median(bare.map(\.firstPromptSeconds)))
        totals.bare += barePerPassage
        totals.ours += ours.map(\.perPassage)
        totals.bareTps += bare.map(\.decodeTokensPerSecond)
        totals.oursTps += ours.map(\.decodeTokensPerSecond)
        totals.ratios.append(eTps / bTps)
        totals.firstExcess.append(first - alone)
        let label = q.count > 30 ? String(q.prefix(29)) + "…" : q.padding(toLength: 30, withPad: " ", startingAt: 0)
        print(
            String(
                format: "%@ | %3d + %3.0f  | %14.1f | %17.1f | %10.2f | %16.1f | %12.2f | %15.0f | %.0f (%.0f)", label, b0.prefixTokens,
                Double(b0.promptTokens - b0.prefixTokens) / n, bTps, median(bare.map(\.promptTokensPerSecond)), bSec, eTps, eSec,
                median(ours.map(\.reevaluatedPerPassage)), first * 1000, alone * 1000))
        totals.drafted.endQuery(engine: eSec, bare: bSec) { runs in
            // Why drafting pays or not: what a drafted row adds to a step, against the step itself.
            let lane = runs.compactMap(\.stepCost.perLane)
            let row = runs.compactMap(\.stepCost.perRow)
            let costs =
                lane.isEmpty || row.isEmpty
                ? ""
                : String(
                    format: "; a step %.1f ms per lane, each drafted row +%.1f ms (%.0f%% of a step)", median(lane) * 1000,
                    median(row) * 1000, median(row) / median(lane) * 100)
            return String(
                format: "%.0f%% of drafted tokens kept, %.2f tokens per decode step", median(runs.map(\.acceptance)) * 100,
                median(runs.map(\.tokensPerStep))) + costs
        }
        totals.probed.endQuery(engine: eSec, bare: bSec) { runs in
            String(format: "%.1f probes per passage", median(runs.map { Double($0.probes) }) / n)
        }
    }

    /// The bare loop, on the engine's own thread: llama.cpp's OpenMP thread team belongs to the calling thread, and a
    /// second team left idle by another thread made the engine's decode steps ~40% slower.
    private func runBare(_ q: String, _ ps: [Passage], engine: LlamaReranker, profile: PromptProfile) async throws -> DecodeBaseline.Result {
        let (model, threads, parallel, budget, cut) = (engine.model, modelOptions.threads, parallel, budget, maxPassageTokens)
        return try await engine.perform {
            try DecodeBaseline.run(
                model: model, profile: profile, query: q, instruction: nil, passages: ps, parallel: parallel, tokens: budget,
                maxPassageTokens: cut, threads: threads)
        }
    }

    /// The engine on the same passages, every chain running its whole budget like the bare loop (no direct verdicts:
    /// the bare loop reads none; `rank1 bench explorer` measures them).
    private func runEngine(
        _ q: String, _ ps: [Passage], _ engine: LlamaReranker, _ profile: PromptProfile, draft: Bool = false, probe: Bool = false
    ) async throws -> EngineRun {
        var req = RerankRequest(query: q, passages: ps)
        req.budget = budget
        req.parallel = parallel
        req.maxPassageTokens = maxPassageTokens
        req.minReasoningTokens = budget
        req.profile = profile
        req.draft = draft
        req.draftTokens = draftTokens
        req.probe = probe
        req.direct = false
        var stats: JobStats?
        for await e in engine.start(req) { if case .finished(let s) = e { stats = s } }
        guard let s = stats else { throw ValidationError("the engine's job for \"\(q)\" ended without finishing") }
        let n = Double(ps.count)
        return EngineRun(
            decodeTokensPerSecond: s.pureDecodeTokensPerSecond, perPassage: s.seconds / n, firstToken: s.firstTokenSeconds ?? .nan,
            reevaluatedPerPassage: Double(s.reevaluatedTokens) / n, acceptance: s.draftAcceptance, tokensPerStep: s.tokensPerThinkingStep,
            probes: s.probes, stepCost: s.stepCost)
    }
}
