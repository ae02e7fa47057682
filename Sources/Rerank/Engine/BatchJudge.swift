import Foundation

/// Runs one job on a llama.cpp context: continuous batching of passages, greedy reasoning, the Rank1
/// verdict. Everything here happens on the engine's thread. A thinking lane's step (with drafts) is in
/// BatchJudge+Thinking.swift, probes and early exit in BatchJudge+Probes.swift; members are internal so those
/// files can reach them (the class itself is internal to the engine).
final class BatchJudge {
    let model: LlamaModel
    let context: LlamaContext
    let request: RerankRequest
    let emit: (RerankEvent) -> Void
    let isCancelled: () -> Bool
    /// The passages the user is looking at (they start next).
    let wanted: WantedPassages?
    let trueToken: Int32
    let falseToken: Int32
    let start = Date()

    enum Phase { case prompt, thinking, closing }

    final class Slot {
        let passage: Int
        let sequence: Int32
        let promptText: String
        let promptTokens: [Int32]
        var feed: [Int32]  // tokens to evaluate in the next step
        var position: Int32  // position of feed[0]
        var cached: [Int32] = []  // tokens in the sequence's KV cache, in order
        var phase = Phase.prompt
        var pieces = UTF8Pieces()  // token bytes → text (a character may span tokens)
        var chain: ReasoningChain  // the protocol: closes, budget, loops, rethinks
        var drafted = 0  // feed's last `drafted` tokens are a prompt-lookup guess, verified by this step
        var drafting = DraftLength()
        var trajectory: [Probe] = []
        /// The direct verdict is still to be read once the prompt is in.
        var needsDirect = false
        /// When the lane took its passage (its prompt is fed in this order).
        var admitted = 0
        let truncated: Bool
        let started = Date()

        init(
            passage: Int, sequence: Int32, promptText: String, promptTokens: [Int32], feed: [Int32], position: Int32,
            chain: ReasoningChain, truncated: Bool
        ) {
            self.passage = passage
            self.sequence = sequence
            self.promptText = promptText
            self.promptTokens = promptTokens
            self.feed = feed
            self.position = position
            self.chain = chain
            self.truncated = truncated
        }
    }

    var stats: JobStats
    /// RANK1_TRACE_STEPS=1 prints each decode step's size and time to stderr (for benchmarking).
    static let traceSteps = ProcessInfo.processInfo.environment["RANK1_TRACE_STEPS"] == "1"
    /// Prompts fed per decode step once chains stream: one at a time, so that each passage's direct verdict (and its
    /// first reasoning) comes as soon as its own prompt is in, not after all of them (a step's cost is its tokens; the
    /// chains already running ride along). Measured in README "An answer in seconds".
    var promptsPerStep = 1

    let cache: TraceCache?
    /// What this job's judgments are, for the trace cache (nil: no cache).
    let identity: JudgmentIdentity?
    /// The prompt format: the request's, else the model's automatic one.
    let profile: PromptProfile
    let rules: ReasoningChain.Rules

    func cacheKey(_ p: Int) -> TraceCache.Key? { identity.map { TraceCache.key($0, request: request, passage: request.passages[p]) } }

    init(
        model: LlamaModel, context: LlamaContext, request: RerankRequest, cache: TraceCache? = nil, identity: JudgmentIdentity? = nil,
        wanted: WantedPassages? = nil,
        emit: @escaping (RerankEvent) -> Void, isCancelled: @escaping () -> Bool
    ) throws {
        self.wanted = wanted
        self.cache = cache
        self.model = model
        self.context = context
        self.request = request
        self.emit = emit
        self.isCancelled = isCancelled
        profile = request.profile ?? model.automaticProfile.profile
        self.identity = identity
        rules = ReasoningChain.Rules(request: request, profile: profile, thinkClose: model.vocabularyFacts.thinkClose)
        trueToken = try model.singleToken(" true")
        falseToken = try model.singleToken(" false")
        stats = JobStats(
            passages: request.passages.count, judged: 0, failed: 0, decodeTokens: 0, promptTokens: 0,
            seconds: 0, cancelled: false, firstTokenSeconds: nil)
    }

    func fittedPassage(_ p: Passage) -> (text: String, truncated: Bool) {
        BatchJudge.fit(p, model: model, maxTokens: request.maxPassageTokens)
    }

    /// The passage text, cut by tokens at a word boundary when it is too long for the context.
    static func fit(_ p: Passage, model: LlamaModel, maxTokens: Int) -> (text: String, truncated: Bool) {
        let text = Rank1Prompt.passageText(title: p.title, text: p.text)
        let tokens = model.tokenize(text, addSpecial: false)
        if tokens.count <= maxTokens { return (text, false) }
        var pieces = UTF8Pieces()
        var kept = ""
        for t in tokens.prefix(maxTokens) { kept += pieces.append(model.piece(t)) }
        kept = Rank1Prompt.cutAtWordEnd(kept)
        return (kept + " […]", true)
    }

    // The job's state, set up by `run` and advanced by its steps.
    var filled = ""
    var sharing = false
    /// The shared prefix (instruction and query) and where it stands: the lane whose prompt evaluates it first,
    /// and whether sequence 0 holds it for later lanes to copy.
    var prefixTokens: [Int32] = []
    var prefixLane: Int?
    var prefixReady = true
    var lanes = 1
    var order = StartOrder(count: 0)
    var admissions = 0
    var slots: [Slot?] = []
    /// Passages that got their verdict or failure: the job is done when all have, and an error later in the job
    /// must not fail these again.
    private(set) var settled = Set<Int>()
    let lookup = PromptLookup()
    /// Every lane's drafts together: a new chain starts from the job's acceptance, not from even odds (a chain
    /// is too short to learn it again each time).
    var jobDrafting = DraftLength()
    /// Probes asked for in this step (a sentence ended), run after the step's logits are read.
    var pendingProbes: [PendingProbe] = []
    /// The spare sequence that probes and direct verdicts fork into.
    var probeSequence: Int32 = 0
    /// Lanes whose prompt came in this step and still need their direct verdict; the direct verdicts known.
    var pendingDirects: [Int] = []
    var directs: [Int: DirectVerdict] = [:]
    /// Waiting passages whose direct verdict the trace cache holds, or that cannot be read ahead of their lane.
    var noDirectAhead = Set<Int>()
    struct PendingProbe {
        let lane: Int
        let passage: Int
        let closing: String
        let reasoning: String  // the chain up to the sentence's end
        let sentence: Int
        let tokens: Int
    }

    /// Judges every passage; returns when done or cancelled. Each round: free lanes take passages (`admit`), one
    /// batch is filled (`fillBatch`) and decoded (`decode`), the lanes advance past what was fed (`advance`), and
    /// the logits become tokens or verdicts (`readLogits`).
    func run() throws {
        try setUp()
        while settled.count < request.passages.count {
            if isCancelled() {
                stats.cancelled = true
                break
            }
            admit()
            let (rows, fedCount) = fillBatch()
            if context.batchCount == 0 {
                // Nothing could be fed yet passages are open: fail them by name rather than end the job short.
                for p in request.passages.indices where !settled.contains(p) {
                    fail(p, "the engine had nothing it could feed for this passage (a bug: please report it with the query)")
                }
                break
            }
            let pure = try decode(rows: rows, fedCount: fedCount)
            advance(fedCount)
            let generated = try readLogits(rows)
            if pure { stats.pureDecodeTokens += generated }
            if !pendingDirects.isEmpty { try runDirects() }
            if !pendingProbes.isEmpty { try runProbes() }
            // One passage still waiting for a lane gets its direct verdict between steps, so the chains keep going.
            _ = try directAhead()
        }
        if stats.cancelled {
            context.clearAll()
            return
        }
        stats.seconds = Date().timeIntervalSince(start)
        emit(.finished(stats))
    }

    func setUp() throws {
        context.clearAll()
        filled = Rank1Prompt.filledQuery(query: request.query, instruction: request.instruction)
        sharing = request.schedule == .batched
        // The shared prefix stops before the space after "Passage:", which tokenizers fold into the
        // passage's first word; a passage whose tokens do not start with it is evaluated on its own.
        if sharing {
            var prefixText = profile.prefix(filledQuery: filled)
            prefixText.removeLast()
            prefixTokens = model.tokenize(prefixText, addSpecial: true)
            guard prefixTokens.count < context.batchCapacity else { throw RerankError("the query and instruction are too long for the context") }
        }
        // The prefix is not evaluated on its own: the first passage's whole prompt is (so its reasoning
        // starts after one prompt evaluation), then its cache, cut back to the prefix, becomes sequence 0,
        // which every later lane copies.
        prefixLane = nil
        prefixReady = !sharing
        // Sequence 0 holds the shared prefix; with probes or direct verdicts, the last sequence is their fork.
        let forking = request.probing || request.direct
        let spare = forking ? 2 : 1
        lanes = request.schedule == .single ? 1 : max(1, min(request.parallel, context.sequences - spare))
        guard !forking || context.sequences >= 3 else { throw RerankError("probes and direct verdicts need a context with a spare sequence") }
        probeSequence = Int32(context.sequences - 1)
        pendingProbes = []
        pendingDirects = []
        directs = [:]
        noDirectAhead = []
        order = StartOrder(count: request.passages.count)
        slots = Array(repeating: nil, count: lanes)
        settled = []
    }

    /// Free lanes take the next passages, in BM25 order; the trace cache answers what it knows.
    func admit() {
        for lane in 0..<lanes where slots[lane] == nil {
            if !prefixReady && prefixLane != nil { return }  // the others wait for the shared prefix
            guard let p = nextUncached() else { return }
            let sequence = Int32(lane + 1)
            let (passageText, truncated) = fittedPassage(request.passages[p])
            let promptText = profile.prompt(filledQuery: filled, passage: passageText)
            let promptTokens = model.tokenize(promptText + profile.reasoningStart, addSpecial: true)
            context.remove(sequence: sequence)
            var feed = promptTokens
            var position: Int32 = 0
            var cached: [Int32] = []
            if sharing && !prefixReady && prefixLane == nil && promptTokens.starts(with: prefixTokens) {
                prefixLane = lane
            } else if sharing && prefixReady, promptTokens.starts(with: prefixTokens) {
                context.copy(sequence: 0, to: sequence)
                feed = Array(promptTokens[prefixTokens.count...])
                position = Int32(prefixTokens.count)
                cached = prefixTokens
            }
            // A prompt longer than a batch is fed in chunks (fillBatch); the stream was sized for it.
            stats.promptTokens += feed.count
            let chain = ReasoningChain(rules: rules)
            slots[lane] = Slot(
                passage: p, sequence: sequence, promptText: promptText, promptTokens: promptTokens,
                feed: feed, position: position, chain: chain, truncated: truncated)
            slots[lane]!.cached = cached
            slots[lane]!.drafting = jobDrafting
            slots[lane]!.needsDirect = request.direct && directs[p] == nil
            admissions += 1
            slots[lane]!.admitted = admissions
            emit(.started(passage: p, truncated: truncated))
            if !chain.reasoning.isEmpty { emit(.token(passage: p, text: chain.reasoning)) }
        }
    }

    /// The next passage the trace cache cannot answer; the ones it answers are emitted on the way.
    func nextUncached() -> Int? {
        while let candidate = order.next(preferring: wanted?.value ?? []) {
            guard let cache, let key = cacheKey(candidate), let v = cache.lookup(key, passage: candidate) else { return candidate }
            emit(.started(passage: candidate, truncated: v.truncatedPassage))
            if directs[candidate] == nil, let d = v.direct { noteDirect(candidate, d) }
            if !v.reasoning.isEmpty { emit(.token(passage: candidate, text: v.reasoning)) }
            emit(.verdict(v))
            settled.insert(candidate)
            stats.judged += 1
            stats.cachedVerdicts += 1
        }
        return nil
    }

    /// One batch for every live lane. Lanes that are thinking or closing go first (a token or a short closing
    /// text each); then one prompt (`promptsPerStep`), the one the user wants most, else the earliest admitted: each
    /// prompt's direct verdict and first token come after its own evaluation, and running chains keep streaming.
    /// Until the shared prefix exists only the first prompt can be fed. Returns the rows whose logits are read, and
    /// how many tokens each lane fed.
    func fillBatch() -> (rows: [(lane: Int, row: Int)], fedCount: [Int]) {
        context.clearBatch()
        var rows: [(lane: Int, row: Int)] = []
        var fedCount = [Int](repeating: 0, count: lanes)
        var draftRows = draftAllowance()
        for lane in 0..<lanes {
            guard let s = slots[lane], s.phase != .prompt, !s.feed.isEmpty else { continue }
            if draftRows > 0 && s.phase == .thinking { draftRows -= proposeDraft(s, atMost: draftRows) }
            if context.batchCount + s.feed.count > context.batchCapacity {
                dropDraft(s)
                if context.batchCount + s.feed.count > context.batchCapacity {
                    // A closing text that parts from the cache early can be longer than a batch: feed what fits,
                    // without logits (the verdict row comes with its last chunk), or it would wait forever.
                    let room = context.batchCapacity - context.batchCount
                    if s.phase == .closing && room > 0 {
                        for i in 0..<room { context.add(s.feed[i], position: s.position + Int32(i), sequence: s.sequence, logits: false) }
                        fedCount[lane] = room
                    }
                    continue
                }
            }
            // A thinking lane's drafted tokens each need their logits: row i verifies draft token i.
            let firstRead = s.feed.count - 1 - s.drafted
            for (i, t) in s.feed.enumerated() {
                let row = context.add(t, position: s.position + Int32(i), sequence: s.sequence, logits: i >= firstRead)
                if i >= firstRead { rows.append((lane, row)) }
            }
            fedCount[lane] = s.feed.count
        }
        // Prompts the user wants first (the rows looked at now), then in the order their lanes were admitted.
        let wantedNow = wanted?.value ?? []
        func rank(_ lane: Int) -> (Int, Int) { (wantedNow.firstIndex(of: slots[lane]!.passage) ?? Int.max, slots[lane]!.admitted) }
        let promptLanes = (0..<lanes).filter { slots[$0]?.phase == .prompt }.sorted { rank($0) < rank($1) }
        for lane in promptLanes.prefix(promptsPerStep) {
            let s = slots[lane]!
            let n = min(s.feed.count, context.batchCapacity - context.batchCount)
            if n <= 0 { break }
            for i in 0..<n {
                let last = i == n - 1 && n == s.feed.count
                let row = context.add(s.feed[i], position: s.position + Int32(i), sequence: s.sequence, logits: last)
                if last { rows.append((lane, row)) }
            }
            fedCount[lane] = n
        }
        return (rows, fedCount)
    }

    /// Decodes the batch; a step of thinking lanes only ("pure") counts toward the decode rate.
    func decode(rows: [(lane: Int, row: Int)], fedCount: [Int]) throws -> Bool {
        let pure =
            rows.count == context.batchCount && (0..<lanes).allSatisfy { slots[$0] == nil || slots[$0]!.phase == .thinking || fedCount[$0] == 0 }
        let stepStart = Date()
        try context.decode()
        if BatchJudge.traceSteps {
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "step tokens=%d rows=%d pure=%d %.1f ms\n", context.batchCount, rows.count,
                        pure ? 1 : 0, Date().timeIntervalSince(stepStart) * 1000
                    ).utf8))
        }
        if fedCount.indices.contains(where: { fedCount[$0] > 0 && slots[$0]?.phase == .prompt }) {
            stats.promptSeconds += Date().timeIntervalSince(stepStart)
        }
        if pure {
            let seconds = Date().timeIntervalSince(stepStart)
            stats.pureDecodeSeconds += seconds
            if request.draft { stats.stepCost.record(lanes: rows.isEmpty ? 0 : Set(rows.map(\.lane)).count, rows: rows.count, seconds: seconds) }
        }
        return pure
    }

    /// What each lane fed is now in its cache; the lane that evaluated the shared prefix first hands it to sequence 0.
    func advance(_ fedCount: [Int]) {
        for lane in 0..<lanes where fedCount[lane] > 0 {
            let s = slots[lane]!
            s.cached += s.feed.prefix(fedCount[lane])
            s.position += Int32(fedCount[lane])
            s.feed.removeFirst(fedCount[lane])
        }
        if !prefixReady, let pl = prefixLane, let s = slots[pl], s.feed.isEmpty {
            // Whole-stream copy (llama.cpp copies across KV streams only whole), then cut to the prefix.
            context.remove(sequence: 0)
            context.copy(sequence: s.sequence, to: 0)
            context.remove(sequence: 0, from: Int32(prefixTokens.count))
            prefixReady = true
        }
    }

    /// Each row's logits: a closing lane's verdict (or a rethink), a thinking lane's next token through the chain
    /// (with a draft: one row per drafted token, read while greedy decoding agrees with the draft). Returns the
    /// reasoning tokens generated.
    @discardableResult
    func readLogits(_ rows: [(lane: Int, row: Int)]) throws -> Int {
        var generated = 0
        var i = 0
        while i < rows.count {
            let lane = rows[i].lane
            var end = i + 1
            while end < rows.count && rows[end].lane == lane { end += 1 }
            defer { i = end }
            guard let s = slots[lane] else { continue }
            if s.phase == .prompt && s.needsDirect {
                s.needsDirect = false
                pendingDirects.append(lane)
            }
            if s.phase == .closing {
                if finishOrRethink(s, try context.logits(rows[i].row)) {
                    context.remove(sequence: s.sequence)
                    slots[lane] = nil
                }
                continue
            }
            s.phase = .thinking
            generated += try think(s, lane: lane, rows[i..<end].map(\.row))
        }
        return generated
    }

    /// Queues `prompt + suffix`, tokenized whole (so the tokens are those of the complete text), for
    /// evaluation: the cached tokens it shares with the sequence stay, the rest of the cache is dropped
    /// and the differing tail is fed. The next logits give the verdict.
    func reevaluate(_ s: Slot, suffix: String) {
        rewind(s, to: model.tokenize(s.promptText + suffix, addSpecial: true))
        s.phase = .closing
    }

    func rewind(_ s: Slot, to full: [Int32]) {
        let common = BatchJudge.sharedLength(full, s.cached)  // at least one token is evaluated, for its logits
        if BatchJudge.traceSteps {
            FileHandle.standardError.write(
                Data("rewind passage \(s.passage): keep \(common) of \(s.cached.count) cached, feed \(full.count - common)\n".utf8))
        }
        context.remove(sequence: s.sequence, from: Int32(common))
        stats.reevaluatedTokens += full.count - common
        s.cached.removeSubrange(common...)
        s.feed = Array(full[common...])
        s.position = Int32(common)
    }

    /// Reads the verdict at the position after `</think>`; reopens the chain for a rethink if asked.
    /// Returns true when the passage is done.
    func finishOrRethink(_ s: Slot, _ logits: UnsafeMutablePointer<Float>) -> Bool {
        let lt = Double(logits[Int(trueToken)])
        let lf = Double(logits[Int(falseToken)])
        guard lt.isFinite && lf.isFinite else {
            // A broken or overflowing model: NaN would print as a score and scramble the ranking's order.
            fail(s.passage, "the model gave non-finite logits for \" true\"/\" false\" (\(lt), \(lf)): the model file is broken")
            return true
        }
        if let wait = s.chain.reopen() {
            emit(.token(passage: s.passage, text: wait))
            rewind(s, to: model.tokenize(s.promptText + s.chain.reasoning, addSpecial: true))
            s.phase = .prompt
            return false
        }
        let c = s.chain
        var v = Verdict(
            passage: s.passage, score: Rank1Score.of(logitTrue: lt, logitFalse: lf), probabilityTrue: probabilityTrue(logits),
            reasoning: c.reasoning + s.pieces.flush(), reasoningTokens: c.totalThought, forcedClose: c.forced,
            rethinks: c.rethinks, truncatedPassage: s.truncated, promptTokens: s.promptTokens.count,
            seconds: Date().timeIntervalSince(s.started), repetitive: c.repetitive,
            stoppedRepeating: c.stoppedRepeating)
        v.trajectory = s.trajectory
        deliver(v)
        return true
    }

    /// A direct verdict known: said once, kept for the passage's verdict.
    func noteDirect(_ p: Int, _ d: DirectVerdict) {
        guard directs[p] == nil else { return }
        directs[p] = d
        stats.directs += 1
        if directs.count == request.passages.count { stats.allDirectSeconds = Date().timeIntervalSince(start) }
        emit(.direct(passage: p, d))
    }

    /// A passage that gets no verdict.
    func fail(_ p: Int, _ reason: String) {
        settled.insert(p)
        stats.failed += 1
        emit(.failed(passage: p, reason: reason))
    }

    func deliver(_ v: Verdict) {
        var v = v
        if v.direct == nil { v.direct = directs[v.passage] }
        settled.insert(v.passage)
        stats.judged += 1
        if let cache, let key = cacheKey(v.passage) { cache.store(key, v) }
        emit(.verdict(v))
    }

    /// P(" true") over the whole vocabulary.
    func probabilityTrue(_ logits: UnsafeMutablePointer<Float>) -> Double {
        var maxLogit = -Double.infinity
        for i in 0..<model.vocabularySize { maxLogit = max(maxLogit, Double(logits[i])) }
        var sum = 0.0
        for i in 0..<model.vocabularySize { sum += exp(Double(logits[i]) - maxLogit) }
        return exp(Double(logits[Int(trueToken)]) - maxLogit) / sum
    }

    /// Greedy choice; with `masking`, the best token that neither ends generation nor starts `</think>`.
    func argmax(_ logits: UnsafeMutablePointer<Float>, masking: Bool) -> Int32 {
        let best = DecodeBaseline.argmax(logits, model.vocabularySize)
        guard masking else { return best }
        let masked = model.maskedWhileShort
        if !masked[Int(best)] { return best }
        var choice = 0
        var value = -Float.infinity
        for i in 0..<model.vocabularySize where !masked[i] && logits[i] > value {
            choice = i
            value = logits[i]
        }
        return Int32(choice)
    }
}
