import ArgumentParser
import Foundation
import Pipeline
import Rerank
import Retrieval

/// Options shared by everything that runs the in-process reranker.
struct ModelOptions: ParsableArguments {
    @Option(
        help:
            "GGUF model file, or an embedded model's name (qwen, smollm2, smollm2-q8, gemma3). Default: $RANK1_MODEL or qwen. With --endpoint: the server's model name."
    )
    var model: String?
    @Option(
        help:
            "An OpenAI-compatible server (vLLM, llama.cpp, llama-cpp-python), e.g. http://127.0.0.1:8000/v1. API key: $RANK1_API_KEY or ~/.config/rank1/config.json. Repeat it for several servers of the same model: work goes to whichever has free capacity, and a failing one is taken out and asked again later."
    )
    var endpoint: [String] = []
    @Option(help: "With --endpoint: seconds without a token (a trickle of bytes does not count) before a stream counts as stalled and is retried.")
    var timeout: Double = 60
    @Option(help: "With --endpoint: seconds a passage's whole judgment may take (every retry included).") var deadline: Double = 1800
    @Option(
        help:
            "With --endpoint: seconds a passage may spend stalled in all (each stall is --timeout without a token); past it the passage fails there, or in a fleet goes to another endpoint."
    )
    var stallBudget: Double = 120
    @Option(help: "With --endpoint: retries of a request after a transient failure (refused, reset, 429, 5xx, stalled), with backoff and jitter.")
    var retries = 6
    @Option(help: "With --endpoint: seconds to wait for the server's first answers (models, tokenizer) before giving up.")
    var connectTimeout: Double = 10
    @Option(
        help:
            "With an https --endpoint: a PEM file of CA certificates to trust besides the system's (a server behind a private CA). Default: $RANK1_CA_FILE, else $SSL_CERT_FILE."
    )
    var caFile: String?
    @Option(name: .customLong("llama-lib"), help: "libllama.so to load. Default: $RANK1_LLAMA_LIB or the project's runtime.")
    var llamaLib: String?
    @Option(
        name: .customLong("judge"),
        help:
            "Two judges side by side: NAME=SPEC, given twice. SPEC: an embedded model's name or a GGUF path, or a server's URL and its model as URL#MODEL. Both judge the same candidates."
    )
    var judges: [String] = []
    @Option(help: "Decoding threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Do not read or write the trace cache (~/.cache/rank1/traces).") var noCache = false

    func validate() throws {
        guard timeout > 0, deadline > 0, connectTimeout > 0, stallBudget > 0 else {
            throw ValidationError("--timeout, --deadline, --stall-budget and --connect-timeout must be positive")
        }
        guard retries >= 0 else { throw ValidationError("--retries must be at least 0") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let twice = Dictionary(grouping: endpoint, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw ValidationError("--endpoint \(twice) is given twice")
        }
        if !judges.isEmpty {
            guard judges.count == 2 else { throw ValidationError("--judge is given twice (two judges side by side), got \(judges.count)") }
            guard model == nil && endpoint.isEmpty else { throw ValidationError("--judge names each judge's model: drop --model and --endpoint") }
            do { _ = try JudgeSpec.parse(judges) } catch { throw ValidationError("\(error)") }
        }
    }

    /// The model and endpoints asked for: the flags, else the user's config (together: either flag replaces both).
    func chosen() throws -> (model: String?, endpoints: [String]) {
        if model != nil || !endpoint.isEmpty { return (model, endpoint) }
        let config = try UserConfig.get()
        return (config.model, config.endpoints)
    }

    /// The remote backend with --endpoint, else the in-process engine (`cache: false`: never the trace cache, as
    /// benchmarks need).
    func makeReranker(cache: Bool = true) throws -> any Reranker {
        let (model, endpoint) = try chosen()
        if !endpoint.isEmpty {
            guard let model else { throw RerankError("--endpoint needs --model NAME (the model the server serves)") }
            let configurations = try endpoint.map { e -> RemoteConfiguration in
                guard let url = URL(string: e), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                    throw RerankError("--endpoint must be an http(s) URL, got \"\(e)\"")
                }
                return try remoteConfiguration(url, model: model)
            }
            return RemoteReranker(configurations: configurations, cache: noCache || !cache ? nil : TraceCache())
        }
        return try makeLlama(cache: cache)
    }

    /// A server's configuration under these flags; the CA file is checked here, before any request.
    func remoteConfiguration(_ url: URL, model: String) throws -> RemoteConfiguration {
        var config = RemoteConfiguration(baseURL: url, model: model)
        config.idleTimeout = timeout
        config.passageDeadline = deadline
        config.stallBudget = stallBudget
        config.retries = retries
        config.connectTimeout = connectTimeout
        if let caFile { config.caFile = caFile }
        if let path = config.caFile { try RemoteConfiguration.checkCAFile(path) }
        return config
    }

    func makeLlama(cache: Bool = true) throws -> LlamaReranker {
        let config = LlamaConfiguration(
            libraryPath: RuntimeDiscovery.libraryPath(explicit: llamaLib),
            modelPath: RuntimeDiscovery.modelPath(explicit: try chosen().model), threads: threads,
            cache: noCache || !cache ? nil : TraceCache())
        return try LlamaReranker(configuration: config)
    }
}

struct JudgeOptions: ParsableArguments {
    @Option(help: "Instruction template containing FILL_QUERY_HERE.") var instruction: String?
    @Option(help: "Instruction preset from Assets/presets.") var preset: String?
    @Option(help: "Reasoning tokens per passage before a forced close. Default: 256 for the rank1 profile, 96 for chat profiles.")
    var budget: Int?
    @Option(help: "Passages judged in parallel (in-process: KV streams; with --endpoint: open streams to the server, up to 1,024).") var parallel = 8
    @Option(help: "Times a closed chain is reopened with \"Wait\".") var rethink = 0
    @Option(
        help:
            "Minimum reasoning length: end-of-generation and </think> are masked until a chain has this many tokens. Default: 0 for the rank1 profile, 40 for chat profiles."
    )
    var minTokens: Int?
    @Option(help: "Prompt profile: auto (from the model's metadata) or a named one.")
    var profile = ProfileArgument.auto
    @Flag(
        inversion: .prefixedNo,
        help: "Stop a chain that repeats itself and close it by force. Default: off for the rank1 profile, on for chat profiles.")
    var repetitionGuard: Bool?
    @Option(help: "A short cycle counts as a loop once it has run this many tokens (a longer block written twice in a row always does).")
    var repetitionWindow = 12
    @Option(
        help:
            "Fuse with BM25: this share of the Rank1 score, the rest min-max normalised BM25 (1 = off; never for the rank1 profile). Default: 0.3 for chat profiles."
    )
    var fuse: Double?
    @Option(
        help:
            "Passage tokens kept (longer passages are cut at a word boundary and marked). Default: 384 for the rank1 profile, 256 for chat profiles.")
    var maxPassageTokens: Int?
    @Option(help: "batched (shared prefix, continuous batching) or single (one passage at a time).")
    var schedule = Schedule.batched
    @Option(
        help:
            "In-process: verify prompt-lookup drafts, several reasoning tokens per decode step, keeping only what greedy decoding confirms (on | off). The same chains as off at --threads 1; at more threads a chain can part from them at a near tie (llama.cpp sums one-token attention in another order)."
    )
    var draft = Switch.off
    @Option(help: "With --draft on: tokens drafted per step, 1 to 6; 0 adapts the length to what is kept and to the measured step costs.")
    var draftTokens = 0
    @Option(
        help:
            "In-process: after each sentence of a chain, the score a forced close there would give (probe events in --jsonl, the trajectory in traces and the explorer); chains and scores are unchanged (on | off)."
    )
    var probe = Switch.off
    @Option(
        help:
            "Each passage's direct verdict first: the forced close right after its prompt, with no reasoning (direct events in --jsonl, direct.trec in eval, the provisional ranking in the explorer); chains and their verdicts are unchanged (on | off)."
    )
    var direct = Switch.on
    @Option(
        help: ArgumentHelp(
            "In-process: stop a chain once its last K probes are all ≥ P or all ≤ 1−P; its verdict is the forced close there (P,K, e.g. 0.9,3), or off. Default: the profile's (off for rank1 and --settings paper; README \"An answer in seconds\" for the chat profiles). rank1 eval measures it: chains still run to their end, it reports the tokens saved and the change in nDCG@10, and another rule on the same --out needs no judging again.",
            valueName: "P,K|off"))
    var earlyExit: EarlyExitArgument?
    @Option(
        help:
            "paper: the reference's evaluation (raw Rank1 prompt, budget 8192, greedy, 16,000-token context, fallback score 0.5, top 100 in eval, the paper's prompt for a known collection). Flags given as well override it."
    )
    var settings: SettingsPreset?

    func validate() throws {
        if let b = budget, b < 1 { throw ValidationError("--budget must be at least 1, got \(b)") }
        // Bounds no model reaches, so the engine's context arithmetic cannot overflow.
        if let b = budget, b > 1 << 20 { throw ValidationError("--budget is at most 1,048,576 tokens, got \(b)") }
        if let m = maxPassageTokens, m > 1 << 20 { throw ValidationError("--max-passage-tokens is at most 1,048,576, got \(m)") }
        guard rethink <= 64 else { throw ValidationError("--rethink is at most 64, got \(rethink)") }
        guard (1...1024).contains(parallel) else { throw ValidationError("--parallel is 1 to 1,024, got \(parallel)") }
        guard rethink >= 0 else { throw ValidationError("--rethink must be at least 0, got \(rethink)") }
        if let m = minTokens, m < 0 { throw ValidationError("--min-tokens must be at least 0, got \(m)") }
        guard repetitionWindow >= 2 else { throw ValidationError("--repetition-window must be at least 2, got \(repetitionWindow)") }
        if let w = fuse, !(0...1).contains(w) { throw ValidationError("--fuse is a weight between 0 and 1, got \(w)") }
        if let e = earlyExit?.rule {
            guard e.threshold > 0.5 && e.threshold <= 1, e.count >= 1 else {
                throw ValidationError("--early-exit is P,K with P above 0.5 and at most 1 and K at least 1, got \(e.threshold),\(e.count)")
            }
        }
        guard (0...6).contains(draftTokens) else { throw ValidationError("--draft-tokens is 0 (adaptive) to 6, got \(draftTokens)") }
        if let m = maxPassageTokens, m < 1 { throw ValidationError("--max-passage-tokens must be at least 1, got \(m)") }
        // The paper's 16,000-token context holds prompt, passage and budget: a budget that fills it leaves no passage.
        if paper, maxPassageTokens == nil, let b = budget, JudgeOptions.paperContext - b - 1024 < 1 {
            throw ValidationError(
                "--budget \(b) leaves no room for the passage in the paper's \(JudgeOptions.paperContext)-token context "
                    + "(at most \(JudgeOptions.paperContext - 1025), or give --max-passage-tokens)")
        }
        if instruction != nil && preset != nil { throw ValidationError("give --instruction or --preset, not both") }
    }

    /// Drafts, probes and early exit work on the in-process engine's KV cache; a server decodes on its own.
    func inProcessOnly(endpoints: [String]) throws {
        guard !endpoints.isEmpty else { return }
        let asked = [draft == .on ? "--draft on" : nil, probe == .on ? "--probe on" : nil, earlyExit?.rule != nil ? "--early-exit" : nil].compactMap {
            $0
        }
        if !asked.isEmpty {
            throw ValidationError(
                "\(asked.joined(separator: ", ")): in-process only (they fork and rewind the engine's KV cache); a server decodes on its own "
                    + "(vLLM: --speculative-config for drafts)")
        }
    }

    /// The reference's evaluation settings (orionw/rank1 rank1.py with vLLM: max_tokens 8192, max_model_len 16000).
    static let paperBudget = 8192, paperContext = 16000

    var paper: Bool { settings == .paper }

    /// The profile asked for, else the backend's automatic one (the paper's settings use the raw protocol).
    func resolvedProfile(automatic: PromptProfile) throws -> PromptProfile {
        (paper && profile == .auto ? ProfileArgument.named(.rank1) : profile).resolved(automatic: automatic)
    }

    /// The profile this run uses, and why.
    func choice(automatic: ProfileChoice) throws -> ProfileChoice {
        let p = try resolvedProfile(automatic: automatic.profile)
        if paper && profile == .auto && p != automatic.profile {
            return ProfileChoice(profile: p, reason: "--settings paper (auto: \(automatic.profile.name))", rank1Shaped: automatic.rank1Shaped)
        }
        return profile == .auto ? automatic : automatic.asked(p)
    }

    /// The fusion asked for (or the profile's default), checked: a weight in [0, 1], never with the
    /// byte-exact rank1 profile.
    func fusion(profile resolved: PromptProfile) throws -> ScoreFusion? {
        guard let w = fuse else { return paper ? nil : resolved.defaultFusion }
        if resolved.isRank1 && w != 1 { throw ValidationError("--fuse is not used with the rank1 profile (Rank1 scores are used as they are)") }
        return w == 1 ? nil : ScoreFusion(weight: w)
    }

    func instructionTemplate() throws -> String? {
        // The config's preset is a default for everyday use; the paper's settings keep the paper's prompts.
        let configured = instruction == nil && !paper ? try UserConfig.get().preset : nil
        if let p = preset ?? configured { return try Presets.load(p) }
        if let i = instruction, let problem = Rank1Prompt.validate(instruction: i) { throw ValidationError(problem) }
        return instruction
    }

    /// `inProcess`: the judge is the in-process engine (probes and early exit need its KV cache).
    func request(query: String, passages: [Passage], automatic: PromptProfile, inProcess: Bool = true) throws -> RerankRequest {
        let resolved = try resolvedProfile(automatic: automatic)
        var r = RerankRequest(query: query, instruction: try instructionTemplate(), passages: passages)
        r.budget = budget ?? (paper ? JudgeOptions.paperBudget : resolved.defaultBudget)
        r.parallel = parallel
        r.rethink = rethink
        r.minReasoningTokens = minTokens ?? (paper ? 0 : resolved.defaultMinReasoningTokens)
        // The paper's context holds the prompt, the passage and the whole budget.
        r.maxPassageTokens = maxPassageTokens ?? (paper ? JudgeOptions.paperContext - r.budget - 1024 : resolved.defaultMaxPassageTokens)
        r.repetitionGuard = repetitionGuard ?? (paper ? false : resolved.defaultRepetitionGuard)
        r.repetitionWindow = repetitionWindow
        r.profile = resolved
        r.schedule = schedule
        r.draft = draft == .on
        r.draftTokens = draftTokens
        r.probe = probe == .on
        r.direct = direct == .on
        // In-process only: a server decodes on its own (the profile's default does not apply there).
        r.earlyExit = earlyExit.map { $0.rule } ?? (paper || !inProcess ? nil : resolved.defaultEarlyExit)
        return r
    }
}

/// `rank1 rerank`: BM25's top k judged by Rank1, the reasoning shown as it streams.
struct RerankCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerank",
        abstract: "BM25 top-k, re-judged by Rank1 with its reasoning shown live.")

    @Argument(help: "Index directory (default: $RANK1_INDEX, the config's index, or the Debian corpus index built by setup).") var index: String?
    @Option(help: "The query.") var query: String
    @Option(help: "BM25 candidates to rerank.") var k = 20

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1, got \(k)") }
        try judge.inProcessOnly(endpoints: modelOptions.chosen().endpoints)
    }
    @Flag(help: "JSON Lines: one event per line (started, token, verdict, failed, finished), then the ranking.")
    var jsonl = false
    @Flag(help: "Print each passage's whole reasoning when its verdict arrives.") var showReasoning = false
    @OptionGroup var judge: JudgeOptions
    @OptionGroup var modelOptions: ModelOptions

    func run() async throws {
        let index = try self.index ?? defaultIndex()
        let reader = try reportingErrors { try IndexReader(directory: index) }
        let searcher = try reportingErrors { try Searcher(index: reader) }
        let hits = try reportingErrors { try searcher.search(query, k: k) }
        let passages = try reportingErrors { try Candidates.passages(hits.map(\.doc), in: reader) }
        if case let judges = try RerankCommand.twoJudges(modelOptions), !judges.isEmpty {
            let prepared = try await TwoJudges.prepare(
                judges, query: query, passages: passages, options: judge, jsonl: jsonl, showReasoning: showReasoning)
            let failed = await TwoJudges.run(prepared)
            TwoJudges.summary(prepared, passages: passages, jsonl: jsonl)
            if failed > 0 { throw ExitCode(ExitCodes.judgmentsFailed) }
            return
        }
        let engine: any Reranker
        do { engine = try modelOptions.makeReranker() } catch {
            printError("rank1: \(error)\n(BM25 works without it: rank1 search \(index) --query …)")
            throw ExitCode.failure
        }
        let choice = try await prepared(engine)
        let chosen = try judge.choice(automatic: choice)
        var request = try judge.request(query: query, passages: passages, automatic: choice.profile, inProcess: engine is LlamaReranker)
        request.profile = chosen.profile
        let fusion = try judge.fusion(profile: chosen.profile)
        let report = RerankReport(
            passages: passages, query: request.query, instruction: request.instruction, jsonl: jsonl, showReasoning: showReasoning,
            streamInline: !jsonl && request.parallel == 1 && isatty(1) != 0)
        report.header(query: query, engine: engine, chosen: chosen, request: request, fusion: fusion)
        for await event in engine.start(request) { report.event(event) }
        report.ranking(bm25: hits.map { Double($0.score) }, fusion: fusion)
        let failed = passages.count - report.verdicts.count
        if failed > 0 {
            printError("rank1: \(failed) of \(passages.count) passages were not judged (first reason: \(report.firstFailure ?? "stopped"))")
            throw ExitCode(ExitCodes.judgmentsFailed)
        }
    }
}

/// Exit codes, documented in README ("Exit codes").
enum ExitCodes {
    /// Some requested judgments were not made (each failure is reported).
    static let judgmentsFailed: Int32 = 3
}

/// Said wherever judgments are shown for a model that is not shaped like a Rank1 checkpoint.
let notRank1Notice =
    "note: this model is not a Rank1 checkpoint (its vocabulary has no single </think> token): its judgments are "
    + "illustrative. For real ones use a Rank1 GGUF (--model rank1-7b.Q4_K_M.gguf) or a server running jhu-clsp/rank1-* (--endpoint URL)."

/// Prepares a backend (a server is probed), or exits with the cause and the fix.
extension RerankCommand {
    /// The two judges of --judge (or none); one whose model cannot be loaded stops the command, named.
    static func twoJudges(_ options: ModelOptions) throws -> [(name: String, engine: any Reranker)] {
        do { return try options.makeJudges() } catch {
            printError("rank1: \(error)")
            throw ExitCode.failure
        }
    }
}

func prepared(_ engine: any Reranker) async throws -> ProfileChoice {
    do { return try await engine.prepare() } catch {
        printError("rank1: \(error)")
        throw ExitCode.failure
    }
}

/// What each endpoint of a fleet did, in one line.
enum EndpointSummary {
    static func text(_ endpoints: [EndpointStats]) -> String {
        "served: "
            + endpoints.map { e in
                "\(e.endpoint) \(e.judged)" + (e.takenOut > 0 ? " (taken out \(e.takenOut)×\(e.up ? ", back" : ", out at the end"))" : "")
            }.joined(separator: "; ")
    }
}
