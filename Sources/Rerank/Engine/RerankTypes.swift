/// A passage to judge, in BM25 order.
public struct Passage: Sendable, Equatable {
    public var id: String
    public var title: String
    public var text: String
    public init(id: String, title: String = "", text: String) {
        self.id = id
        self.title = title
        self.text = text
    }
}

/// How passages are scheduled on the model.
public enum Schedule: String, CaseIterable, Sendable {
    /// Shared prefix evaluated once, up to `parallel` passages advancing in one decode per step.
    case batched
    /// One passage at a time, its whole prompt evaluated in one decode, no prefix sharing: the fixed
    /// schedule the parity reference reproduces.
    case single
}

public struct RerankRequest: Sendable {
    public var query: String
    /// An instruction template containing `FILL_QUERY_HERE`, or nil for the bare query.
    public var instruction: String?
    public var passages: [Passage]
    /// Reasoning tokens per passage before the chain is closed by force.
    public var budget: Int = 256
    public var parallel: Int = 8
    /// How many times a closed chain is reopened with "\nWait".
    public var rethink: Int = 0
    /// End-of-generation tokens and tokens that would start `</think>` are masked until a chain has this
    /// many tokens.
    public var minReasoningTokens: Int = 0
    /// How the question is put to the model; nil: the model's automatic profile (see PromptProfile).
    public var profile: PromptProfile?
    /// Stop a chain that repeats itself (its last `repetitionWindow` tokens already occurred in it) and close
    /// it by force, cut before the repetition. Detection runs either way (Verdict.repetitive).
    public var repetitionGuard = false
    public var repetitionWindow = 12
    /// Passage tokens kept; a longer passage is cut at a word boundary and marked.
    public var maxPassageTokens: Int = 384
    public var schedule: Schedule = .batched
    /// In-process: verify prompt-lookup drafts (several tokens per decode step, greedy acceptance only).
    public var draft = false
    /// Drafted tokens per step: 0 adapts the length to the acceptance and the measured step costs (drafting
    /// stops where it does not pay); N always drafts up to N (at most 6) where the lookup finds a match.
    public var draftTokens = 0
    /// In-process: after each sentence of a chain, the score a forced close there would give (`.probe` events,
    /// `Verdict.trajectory`), from a forked sequence; the chain itself is not touched.
    public var probe = false
    /// In-process: stop a chain once its last probes agree (implies probes).
    public var earlyExit: EarlyExit?
    public var probing: Bool { probe || earlyExit != nil }
    /// The direct verdict of every passage (`.direct` events, `Verdict.direct`): the forced close right after the
    /// prompt, with no reasoning. In-process it is read from the prompt's own cache before the chain's first step
    /// (the chain's steps are unchanged); remotely it is one request per passage, sent for all before the chains.
    public var direct = true

    public init(query: String, instruction: String? = nil, passages: [Passage]) {
        self.query = query
        self.instruction = instruction
        self.passages = passages
    }
}

/// A verdict probe: the score the chain would get if it were closed by force after its `sentence`-th sentence
/// (1-based), `tokens` reasoning tokens in.
public struct Probe: Sendable, Equatable, Codable {
    public var sentence: Int
    public var tokens: Int
    /// Characters of the reasoning text (as streamed) up to the sentence's end.
    public var characters: Int
    public var score: Double
    public var probabilityTrue: Double
    public init(sentence: Int, tokens: Int, characters: Int, score: Double, probabilityTrue: Double) {
        self.sentence = sentence
        self.tokens = tokens
        self.characters = characters
        self.score = score
        self.probabilityTrue = probabilityTrue
    }
}

/// The verdict with zero reasoning tokens: the profile's forced close evaluated right after the prompt
/// (`prompt + forcedCloseSuffix(reasoning start)`), scored as every verdict is.
public struct DirectVerdict: Sendable, Equatable, Codable {
    public var score: Double
    public var probabilityTrue: Double
    public init(score: Double, probabilityTrue: Double) {
        self.score = score
        self.probabilityTrue = probabilityTrue
    }
}

/// Early exit: a chain stops once its last `count` probes are all ≥ `threshold` or all ≤ 1 − `threshold`; the
/// last probe is its verdict (a forced close at that sentence). `rank1 eval` measures a rule without stopping
/// anything: it applies `exit` to each judged chain's trajectory.
public struct EarlyExit: Sendable, Equatable {
    public var threshold: Double
    public var count: Int
    public init(threshold: Double, count: Int) {
        self.threshold = threshold
        self.count = count
    }

    /// Whether these probes (oldest first) end the chain.
    public func fires(_ probes: some Collection<Probe>) -> Bool {
        guard count >= 1, probes.count >= count else { return false }
        let last = probes.suffix(count)
        return last.allSatisfy { $0.score >= threshold } || last.allSatisfy { 1 - $0.score >= threshold }
    }

    /// The probe where the rule stops a chain with these scores (oldest first), if it does.
    public func exit(_ probes: [Probe]) -> Probe? {
        probes.indices.first { fires(probes[...$0]) }.map { probes[$0] }
    }
}

public struct Verdict: Sendable, Equatable {
    public var passage: Int
    /// P(true) / (P(true) + P(false)) at the position after `</think>`.
    public var score: Double
    /// P(" true") over the whole vocabulary at that position.
    public var probabilityTrue: Double
    public var reasoning: String
    public var reasoningTokens: Int
    public var forcedClose: Bool
    public var rethinks: Int
    public var truncatedPassage: Bool
    public var promptTokens: Int
    public var seconds: Double
    /// Read back from the trace cache rather than computed now.
    public var cached: Bool = false
    /// The chain repeated itself (a run of `repetitionWindow` tokens occurred twice).
    public var repetitive: Bool = false
    /// The repetition guard stopped the chain and closed it by force.
    public var stoppedRepeating: Bool = false
    /// Remote servers: the finish_reason of the last reasoning stream ("length": the budget; "stop": the
    /// model's end of generation or a stop string; nil: `</think>` was seen, or in-process).
    public var serverFinish: String? = nil
    /// Remote servers: the endpoint that judged it.
    public var endpoint: String? = nil
    /// In-process with probes: the score after each sentence.
    public var trajectory: [Probe] = []
    /// Early exit stopped the chain: the verdict is its last probe, `exitPoint`.
    public var earlyExit = false
    /// The passage's direct verdict (no reasoning), when it was computed.
    public var direct: DirectVerdict? = nil
    /// Remote servers: neither " true" nor " false" came with the logprobs, even when asked for the two alone; the
    /// score is the reference's fallback, 0.5, not the model's verdict.
    public var fallback = false
    public var exitPoint: Probe? { earlyExit ? trajectory.last : nil }
}

public struct JobStats: Sendable, Equatable {
    public var passages: Int
    public var judged: Int
    public var failed: Int
    public var decodeTokens: Int
    public var promptTokens: Int
    public var seconds: Double
    public var cancelled: Bool
    /// Seconds from the job's start to the first reasoning token (nil if none).
    public var firstTokenSeconds: Double?
    /// Verdicts answered by the trace cache.
    public var cachedVerdicts = 0
    /// Decode steps that carried only reasoning tokens (no prompt or closing text): their tokens and time.
    public var pureDecodeTokens = 0
    public var pureDecodeSeconds = 0.0
    /// In-process: seconds of the decode steps that evaluated prompt tokens (with the thinking rows riding along).
    public var promptSeconds = 0.0
    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0 }
    /// Tokens evaluated again to close chains (the protocol re-tokenizes prompt + closing text; the tail
    /// that differs from the sequence's cache is fed anew) or to reopen them for a rethink.
    public var reevaluatedTokens = 0
    /// In-process: decode steps of thinking lanes (one per lane and step), and with drafts, the tokens
    /// drafted and the ones greedy decoding confirmed.
    public var thinkingSteps = 0
    public var draftedTokens = 0
    public var acceptedDraftTokens = 0
    /// With drafts: the step costs the draft length weighs, measured as the job runs.
    public var stepCost = StepCost()
    /// In-process: verdict probes, the tokens they evaluated and their time.
    public var probes = 0
    public var probeTokens = 0
    public var probeSeconds = 0.0
    /// Chains early exit stopped.
    public var earlyExits = 0
    /// Direct verdicts given, and (remote) direct requests that failed past their retries (the chain still judges).
    public var directs = 0
    public var directFailures = 0
    /// The first failed direct request: the passage's id and why.
    public var directFailure: String?
    /// Seconds from the job's start until every passage had its direct verdict (nil: not all did).
    public var allDirectSeconds: Double?
    /// In-process: seconds spent evaluating direct verdicts, and prompt tokens evaluated only for them (passages
    /// that waited for a lane).
    public var directSeconds = 0.0
    public var directPromptTokens = 0
    public var tokensPerThinkingStep: Double { thinkingSteps > 0 ? Double(decodeTokens) / Double(thinkingSteps) : 0 }
    public var draftAcceptance: Double { draftedTokens > 0 ? Double(acceptedDraftTokens) / Double(draftedTokens) : 0 }
    /// Remote servers: what each endpoint did in this job, in the order they were given.
    public var endpoints: [EndpointStats] = []
    public var pureDecodeTokensPerSecond: Double { pureDecodeSeconds > 0 ? Double(pureDecodeTokens) / pureDecodeSeconds : 0 }
    public var decodeTokensPerSecond: Double { seconds > 0 ? Double(decodeTokens) / seconds : 0 }
}

extension RerankEvent {
    /// How an `.endpoint` event reads: "endpoint URL taken out: reason" or "… back in service: …".
    public static func endpointChange(_ name: String, up: Bool, reason: String) -> String {
        "endpoint \(name) \(up ? "back in service" : "taken out"): \(reason)"
    }
}

/// One server's share of a remote job.
public struct EndpointStats: Sendable, Equatable {
    public var endpoint: String
    /// Verdicts it gave.
    public var judged = 0
    /// Times it was taken out (a failure other endpoints could cover), and whether it was serving at the end.
    public var takenOut = 0
    public var up = true
    public init(endpoint: String) { self.endpoint = endpoint }
}

public enum RerankEvent: Sendable, Equatable {
    case started(passage: Int, truncated: Bool)
    case token(passage: Int, text: String)
    /// A remote stream failed transiently and the round is generated again: the passage's reasoning so far is
    /// `reasoning` (what came after it is withdrawn), then tokens follow anew.
    case restarted(passage: Int, reasoning: String, reason: String)
    /// A chain's verdict probe after a sentence (in-process with probes on).
    case probe(passage: Int, Probe)
    /// A passage's direct verdict: the forced close right after its prompt (no reasoning), before its chain ends.
    case direct(passage: Int, DirectVerdict)
    case verdict(Verdict)
    case failed(passage: Int, reason: String)
    /// Several servers: one was taken out (`up` false: it failed, its passages go elsewhere, it is asked again
    /// later) or came back.
    case endpoint(String, up: Bool, reason: String)
    case finished(JobStats)
}

/// A reranking backend: the in-process llama.cpp engine or a remote server. A new job supersedes the
/// running one; the superseded job's stream ends without further events.
public protocol Reranker: Sendable {
    var modelName: String { get }
    var backendName: String { get }
    /// Checks that this backend can judge exactly with its model (a server is asked what it serves, how it
    /// tokenizes and whether it shows `</think>`), and returns the profile a request without one gets, and
    /// why. Throws with the cause and the fix when it cannot judge exactly. Cheap after the first call.
    func prepare() async throws -> ProfileChoice
    func start(_ request: RerankRequest) -> AsyncStream<RerankEvent>
    func cancel()
    /// The running job's passages (indices of its request) the user is looking at, most wanted first: those not
    /// started yet are judged next, in this order. Nothing already running is stopped.
    func prioritize(_ passages: [Int])
    /// What a judgment of this backend under `request` is (the trace cache's key, an evaluation journal's settings).
    func identity(_ request: RerankRequest, profile: PromptProfile) -> JudgmentIdentity
}
