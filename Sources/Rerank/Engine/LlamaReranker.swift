import Foundation

/// Where the in-process engine finds its parts.
public struct LlamaConfiguration: Sendable {
    public var libraryPath: String
    public var modelPath: String
    public var threads: Int
    /// Where finished judgments are kept (nil: no cache).
    public var cache: TraceCache?
    public init(
        libraryPath: String, modelPath: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        cache: TraceCache? = nil
    ) {
        self.libraryPath = libraryPath
        self.modelPath = modelPath
        self.threads = threads
        self.cache = cache
    }
}

/// The in-process Rank1 engine on llama.cpp. One dedicated thread owns the model and the context; jobs
/// reach it through a one-slot mailbox. At most one job runs and one waits: a newer request replaces
/// the waiting one and cancels the running one, which stops within one decode step and emits nothing
/// more.
public final class LlamaReranker: Reranker, @unchecked Sendable {
    public let model: LlamaModel
    private let configuration: LlamaConfiguration
    private let condition = NSCondition()
    private var pending: (RerankRequest, AsyncStream<RerankEvent>.Continuation, Int)?
    private var runningGeneration = 0
    private var latestGeneration = 0
    private var context: LlamaContext?
    private var thread: Thread?
    private var chores: [() -> Void] = []
    /// The passages the user wants first, for the newest job (set again empty when a job is started).
    private let wanted = WantedPassages()

    public var modelName: String { model.name.isEmpty ? (model.path as NSString).lastPathComponent : model.name }
    public var automaticProfile: ProfileChoice { model.automaticProfile }
    public func prepare() async throws -> ProfileChoice {
        // Rank1 reads its verdict from single " true"/" false" tokens: a model without them is refused here,
        // before any judging, with the tokens named.
        _ = try model.singleToken(" true")
        _ = try model.singleToken(" false")
        return model.automaticProfile
    }
    public var backendName: String {
        "llama.cpp in-process, \((configuration.modelPath as NSString).lastPathComponent), \(configuration.threads) threads"
    }

    public init(configuration: LlamaConfiguration) throws {
        self.configuration = configuration
        model = try LlamaModel(path: configuration.modelPath, libraryPath: configuration.libraryPath)
        // The thread holds its engine: an engine lives as long as its thread, for the process (a command or the
        // explorer makes one per judge). Unowned, an engine released while its thread waits (a second judge's model
        // failing to load after the first was made) crashed the process reading it.
        let t = Thread { [self] in self.loop() }
        t.name = "rank1-engine"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    public func start(_ request: RerankRequest) -> AsyncStream<RerankEvent> {
        let (stream, continuation) = AsyncStream<RerankEvent>.makeStream(bufferingPolicy: .unbounded)
        condition.lock()
        latestGeneration += 1
        pending?.1.finish()  // a waiting job that never started: its stream just ends
        pending = (request, continuation, latestGeneration)
        wanted.set([])
        condition.signal()
        condition.unlock()
        return stream
    }

    public func cancel() {
        condition.lock()
        latestGeneration += 1
        pending?.1.finish()
        pending = nil
        condition.unlock()
    }

    public func prioritize(_ passages: [Int]) { wanted.set(passages) }

    /// The model by content, and the threads (they change llama.cpp's sums).
    public func identity(_ request: RerankRequest, profile: PromptProfile) -> JudgmentIdentity {
        JudgmentIdentity(judge: model.fingerprint, threads: configuration.threads, request: request, profile: profile)
    }

    private func isStale(_ generation: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return generation != latestGeneration
    }

    /// Runs `work` on the engine's thread, between jobs (benchmarks use it so that one OpenMP thread team
    /// serves both the engine and what it is compared with).
    public func perform<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            condition.lock()
            chores.append { c.resume(with: Result { try work() }) }
            condition.signal()
            condition.unlock()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while pending == nil && chores.isEmpty { condition.wait() }
            if !chores.isEmpty {
                let chore = chores.removeFirst()
                condition.unlock()
                chore()
                continue
            }
            let (request, continuation, generation) = pending!
            pending = nil
            runningGeneration = generation
            condition.unlock()
            run(request, continuation, generation)
            continuation.finish()
        }
    }

    /// llama.cpp's LLAMA_MAX_SEQ: sequences one context holds.
    static let maxSequences = 256

    private func run(_ request: RerankRequest, _ out: AsyncStream<RerankEvent>.Continuation, _ generation: Int) {
        var judge: BatchJudge?
        do {
            let lanes = request.schedule == .single ? 1 : max(1, request.parallel)
            // One KV stream per sequence (seq 0 holds the shared prefix): each must fit instruction, query,
            // passage and reasoning. A unified cache would make every token attend over all streams.
            let profile = request.profile ?? model.automaticProfile.profile
            let filled = Rank1Prompt.filledQuery(query: request.query, instruction: request.instruction)
            let head = max(512, model.tokenize(profile.prefix(filledQuery: filled), addSpecial: true).count + 128)
            let perStream = (head + request.maxPassageTokens + (request.budget + 8) * (request.rethink + 1) + 160 + 255) / 256 * 256
            // Sequence 0: the shared prefix; with probes or direct verdicts, one more for their fork.
            let sequences = lanes + (request.probing || request.direct ? 2 : 1)
            guard sequences <= LlamaReranker.maxSequences else {
                throw RerankError(
                    "in-process judging holds at most \(LlamaReranker.maxSequences - sequences + lanes) passages in parallel "
                        + "(llama.cpp's sequence limit); --parallel \(request.parallel) is more")
            }
            let needed = perStream * sequences  // too large for llama.cpp: LlamaContext says so
            if context == nil || context!.contextSize < needed || context!.sequences != sequences {
                context = nil
                let size = needed
                context = try LlamaContext(
                    model: model, contextSize: size, batchCapacity: max(2048, lanes * 600),
                    sequences: sequences, threads: configuration.threads)
            }
            judge = try BatchJudge(
                model: model, context: context!, request: request, cache: configuration.cache,
                identity: configuration.cache == nil ? nil : identity(request, profile: profile), wanted: wanted,
                emit: { [unowned self] e in if !self.isStale(generation) { out.yield(e) } },
                isCancelled: { [unowned self] in self.isStale(generation) })
            try judge!.run()
        } catch {
            if !isStale(generation) {
                // Passages already judged keep their verdicts; the rest fail with the cause.
                let settled = judge?.settled ?? []
                var stats =
                    judge?.stats
                    ?? JobStats(
                        passages: request.passages.count, judged: 0, failed: 0, decodeTokens: 0, promptTokens: 0, seconds: 0,
                        cancelled: false, firstTokenSeconds: nil)
                for p in request.passages.indices where !settled.contains(p) {
                    out.yield(.failed(passage: p, reason: "\(error)"))
                    stats.failed += 1
                }
                out.yield(.finished(stats))
            }
        }
    }
}
