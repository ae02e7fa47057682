import Foundation

/// Rank1 through one or several OpenAI-compatible servers (RemoteEndpoint), behind the same engine API and
/// events as the in-process engine. Up to `parallel` passages are in flight per endpoint; a newer job cancels
/// the running one and closes its streams at once.
///
/// One endpoint: a request that fails transiently is retried there (RemoteConfiguration.retrying). Several
/// (servers without a router): each passage goes to the serving endpoint with the fewest in flight; a transient
/// failure (refused, reset, 429, 5xx, stalled) takes that endpoint out at once, its passages are judged again
/// elsewhere, and it is asked again later with backoff; the job ends with every passage judged if one
/// endpoint lives.
public final class RemoteReranker: Reranker, @unchecked Sendable {
    let endpoints: [RemoteEndpoint]
    /// The user's --retries: a passage is sent again after transient failures up to this plus the number of
    /// endpoints times, and a fleet whose every endpoint is out is re-checked this many times, before giving up.
    private let retries: Int
    private let lock = NSLock()
    private var running: Task<Void, Never>?
    private var generation = 0
    /// Endpoints out of service (failed at `prepare`, or out at the end of a job), with why: the next job starts
    /// without them and asks them again in the background, rather than waiting on each again. `announced`: those
    /// whose being out a job has already reported.
    private var outOfService: [Int: String] = [:]
    private var announced: Set<Int> = []
    /// The passages the user wants first, for the newest job.
    private let wanted = WantedPassages()
    /// Finished judgments, keyed by the model as the servers report it (nil: no cache).
    private let cache: TraceCache?
    /// What the servers are, as the last probe found them (part of a judgment's identity).
    private var serverKind: String?

    public var configuration: RemoteConfiguration { endpoints[0].configuration }
    public var modelName: String { configuration.model }
    public var backendName: String {
        let hosts = endpoints.map { $0.configuration.baseURL.host ?? $0.name }
        return endpoints.count == 1 ? "remote \(hosts[0])" : "remote, \(endpoints.count) endpoints (\(hosts.joined(separator: ", ")))"
    }

    public convenience init(configuration: RemoteConfiguration) { self.init(configurations: [configuration]) }

    /// Several servers of the same model. In a fleet a failing request is not retried on its endpoint: the
    /// passage moves to another at once.
    public init(configurations: [RemoteConfiguration], cache: TraceCache? = nil) {
        precondition(!configurations.isEmpty, "a remote reranker needs an endpoint")
        self.cache = cache
        retries = configurations[0].retries
        endpoints = configurations.map { c in
            var c = c
            if configurations.count > 1 { c.retries = 0 }
            return RemoteEndpoint(configuration: c)
        }
    }

    /// Probes every endpoint at once. Those that answer must agree on the profile; those that do not are
    /// left out (and asked again during jobs). Throws when none can judge.
    public func prepare() async throws -> ProfileChoice {
        let setups = await probeAll()
        let failed = setups.indices.compactMap { i in failureText(setups[i], i).map { (i, $0) } }
        lock.withLock {
            outOfService = Dictionary(uniqueKeysWithValues: failed)
            announced = []
        }
        return try agreed(setups)
    }

    /// Each endpoint's facts and profile, or why it cannot judge; those in `skipping` are not asked (they fail
    /// with the reason given).
    private func probeAll(skipping: [Int: String] = [:]) async -> [Result<(facts: ServerFacts, choice: ProfileChoice), Error>] {
        await withTaskGroup(of: (Int, Result<(facts: ServerFacts, choice: ProfileChoice), Error>).self) { group in
            for (i, e) in endpoints.enumerated() {
                if let why = skipping[i] {
                    group.addTask { (i, .failure(RerankError(why))) }
                } else {
                    group.addTask { (i, await Result { try await e.probed() }) }
                }
            }
            var out = [Result<(facts: ServerFacts, choice: ProfileChoice), Error>](repeating: .failure(CancellationError()), count: endpoints.count)
            for await (i, r) in group { out[i] = r }
            return out
        }
    }

    /// The profile of the first endpoint that can judge, checked against the others that can.
    private func agreed(_ setups: [Result<(facts: ServerFacts, choice: ProfileChoice), Error>]) throws -> ProfileChoice {
        guard let first = setups.firstIndex(where: { (try? $0.get()) != nil }), let chosen = try? setups[first].get() else {
            if endpoints.count == 1, case .failure(let e) = setups[0] { throw e }
            let reasons = setups.enumerated().map { i, r in "\(endpoints[i].name): \(failureText(r, i) ?? "ready")" }
            throw RerankError("no endpoint can judge: " + reasons.joined(separator: "; "))
        }
        for (i, r) in setups.enumerated() {
            if let s = try? r.get(), s.choice.profile != chosen.choice.profile {
                throw RerankError(
                    "the endpoints judge differently: \(endpoints[first].name) gets profile \(chosen.choice.profile.name), "
                        + "\(endpoints[i].name) gets \(s.choice.profile.name); give endpoints that serve the same model")
            }
        }
        lock.withLock { serverKind = chosen.facts.kind.rawValue }
        return chosen.choice
    }

    /// Why endpoint `i` cannot judge; nil when it can.
    private func failureText(_ r: Result<(facts: ServerFacts, choice: ProfileChoice), Error>, _ i: Int) -> String? {
        if case .failure(let e) = r { return endpoints[i].reason(e) }
        return nil
    }

    public func start(_ request: RerankRequest) -> AsyncStream<RerankEvent> {
        let (stream, out) = AsyncStream<RerankEvent>.makeStream(bufferingPolicy: .unbounded)
        lock.lock()
        generation += 1
        let g = generation
        wanted.set([])
        running?.cancel()
        let previous = running
        let outlet = EventOutlet(out, loop: HTTPClients.executor.loop)
        running = Task(executorPreference: HTTPClients.executor) { [self] in
            await previous?.value  // the superseded job has closed its streams
            await self.run(request, outlet, g)
            outlet.finish()
        }
        lock.unlock()
        return stream
    }

    public func prioritize(_ passages: [Int]) { wanted.set(passages) }

    /// The model as the servers name it and what kind of server they are (threads are the server's own).
    public func identity(_ request: RerankRequest, profile: PromptProfile) -> JudgmentIdentity {
        let kind = lock.withLock { serverKind } ?? "server"
        return JudgmentIdentity(judge: "remote \(kind) \(configuration.model)", threads: nil, request: request, profile: profile)
    }

    public func cancel() {
        lock.lock()
        generation += 1
        running?.cancel()
        lock.unlock()
    }

    private func isCurrent(_ g: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return g == generation
    }

    /// A job's state, from the probe to the last verdict.
    private struct Job {
        var fleet: Fleet
        var facts: [ServerFacts?]
        var stats: JobStats
        var directs: [Int: (verdict: DirectVerdict, fitted: (String, Bool))] = [:]
        let automatic: PromptProfile
        let identity: JudgmentIdentity
        let filled: String
        let lanes: Int
        /// Endpoints that could not judge at the start, with why, and whether an earlier job said so already.
        let outAtStart: [(Int, Error)]
        let announced: Set<Int>
    }

    private enum Outcome: Sendable {
        case judged(passage: Int, endpoint: Int, Result<Verdict, Error>)
        case checked(endpoint: Int, Result<(facts: ServerFacts, choice: ProfileChoice), Error>)
    }

    private func run(_ request: RerankRequest, _ out: EventOutlet, _ g: Int) async {
        let start = Date()
        let firstToken = FirstMoment()
        let emit: @Sendable (RerankEvent) -> Void = { [self] e in
            if case .token = e, !firstToken.marked { firstToken.mark(Date().timeIntervalSince(start)) }
            if self.isCurrent(g) && !Task.isCancelled { out.yield(e) }
        }
        guard var job = await setUp(request, emit) else {
            if isCurrent(g) && !Task.isCancelled {
                out.yield(
                    .finished(
                        JobStats(
                            passages: request.passages.count, judged: 0, failed: request.passages.count, decodeTokens: 0, promptTokens: 0,
                            seconds: Date().timeIntervalSince(start), cancelled: false, firstTokenSeconds: nil)))
            }
            return
        }
        answerFromCache(request, &job, emit)
        if request.direct {
            job.directs = await directVerdicts(request, job.filled, job.facts, job.automatic, job.fleet, emit, &job.stats, since: start)
        }
        if Task.isCancelled { return }
        await judgeChains(request, &job, emit)
        let stillOut = job.fleet.stats.indices.filter { !job.fleet.stats[$0].up }
        lock.withLock {
            outOfService = Dictionary(uniqueKeysWithValues: stillOut.map { ($0, "out of service since an earlier job") })
            announced = Set(stillOut)
        }
        guard !Task.isCancelled, isCurrent(g) else { return }
        job.stats.seconds = Date().timeIntervalSince(start)
        job.stats.firstTokenSeconds = firstToken.value
        job.stats.endpoints = job.fleet.stats
        out.yield(.finished(job.stats))
    }

    /// Probes the endpoints (those out of service since an earlier job are not asked, unless all are) and agrees on a
    /// profile; nil when none can judge (every passage then fails with the reason).
    private func setUp(_ request: RerankRequest, _ emit: @Sendable (RerankEvent) -> Void) async -> Job? {
        let lanes = max(1, request.schedule == .single ? 1 : min(request.parallel, configuration.concurrency))
        let (wasOut, wasAnnounced) = lock.withLock { (outOfService.count == endpoints.count ? [:] : outOfService, announced) }
        let setups = await probeAll(skipping: wasOut)
        let automatic: PromptProfile
        do { automatic = try agreed(setups).profile } catch {
            let why = endpoints[0].reason(error)
            for p in request.passages.indices { emit(.failed(passage: p, reason: why)) }
            return nil
        }
        var fleet = Fleet(endpoints.map(\.name), lanes: lanes, passages: request.passages.count)
        let facts = setups.map { try? $0.get().facts }
        for (e, f) in facts.enumerated() { if let f { fleet.lanes[e] = f.streams(asked: lanes) } }
        let outAtStart = setups.enumerated().compactMap { e, r -> (Int, Error)? in
            if case .failure(let error) = r { return (e, error) }
            return nil
        }
        let stats = JobStats(
            passages: request.passages.count, judged: 0, failed: 0, decodeTokens: 0, promptTokens: 0, seconds: 0, cancelled: false,
            firstTokenSeconds: nil)
        return Job(
            fleet: fleet, facts: facts, stats: stats, automatic: automatic, identity: identity(request, profile: request.profile ?? automatic),
            filled: Rank1Prompt.filledQuery(query: request.query, instruction: request.instruction), lanes: lanes, outAtStart: outAtStart,
            announced: wasAnnounced)
    }

    /// What the trace cache holds is answered at once and never sent.
    private func answerFromCache(_ request: RerankRequest, _ job: inout Job, _ emit: @Sendable (RerankEvent) -> Void) {
        guard let cache else { return }
        for p in request.passages.indices {
            guard let v = cache.lookup(TraceCache.key(job.identity, request: request, passage: request.passages[p]), passage: p) else { continue }
            emit(.started(passage: p, truncated: v.truncatedPassage))
            if !v.reasoning.isEmpty { emit(.token(passage: p, text: v.reasoning)) }
            if let d = v.direct {
                emit(.direct(passage: p, d))
                job.stats.directs += 1
            }
            emit(.verdict(v))
            job.fleet.queue.remove(p)
            job.stats.judged += 1
            job.stats.cachedVerdicts += 1
        }
    }

    /// The chains: each passage to the serving endpoint with the fewest in flight (the wanted ones first); endpoints
    /// out at the start, or taken out on the way, are asked again with backoff.
    private func judgeChains(_ request: RerankRequest, _ job: inout Job, _ emit: @escaping @Sendable (RerankEvent) -> Void) async {
        await withTaskGroup(of: Outcome.self) { group in
            func dispatch() {
                while let (p, e) = job.fleet.nextAssignment(preferring: wanted.value) {
                    let (endpoint, f, fitted, filled, automatic) = (endpoints[e], job.facts[e]!, job.directs[p]?.fitted, job.filled, job.automatic)
                    group.addTask {
                        .judged(
                            passage: p, endpoint: e, await Result { try await endpoint.judge(p, request, filled, f, automatic, fitted: fitted, emit) }
                        )
                    }
                }
            }
            func check(_ e: Int) {
                let (delay, endpoint) = (configuration.backoff(job.fleet.failedChecks[e] + 1), endpoints[e])
                group.addTask {
                    do { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) } catch { return .checked(endpoint: e, .failure(error)) }
                    return .checked(endpoint: e, await Result { try await endpoint.recheck() })
                }
            }
            for (e, error) in job.outAtStart {
                job.fleet.takeOut(e)
                if !job.announced.contains(e) { emit(.endpoint(endpoints[e].name, up: false, reason: endpoints[e].reason(error))) }
                check(e)
            }
            dispatch()
            while let outcome = await group.next() {
                if Task.isCancelled {
                    group.cancelAll()
                    break
                }
                switch outcome {
                case .judged(let p, let e, .success(var v)):
                    job.fleet.finished(e, judged: true)
                    job.stats.judged += 1
                    job.stats.decodeTokens += v.reasoningTokens
                    v.direct = job.directs[p]?.verdict
                    cache?.store(TraceCache.key(job.identity, request: request, passage: request.passages[p]), v)
                    emit(.verdict(v))
                case .judged(let p, let e, .failure(let error)):
                    if failed(p, on: e, error, request, &job, emit) { check(e) }
                case .checked(let e, let result):
                    if checked(e, result, &job, emit) { check(e) }
                }
                dispatch()
                if !job.fleet.hasWork { group.cancelAll() }  // re-checks still waiting end now
            }
        }
    }

    /// A passage failed on endpoint `e`: in a fleet, whatever another endpoint could answer goes there (within the
    /// passage's attempts), and an endpoint in trouble is taken out; otherwise the judgment fails. Returns whether the
    /// endpoint is to be checked again.
    private func failed(
        _ p: Int, on e: Int, _ error: Error, _ request: RerankRequest, _ job: inout Job, _ emit: @Sendable (RerankEvent) -> Void
    ) -> Bool {
        job.fleet.finished(e, judged: false)
        let why = endpoints[e].reason(error)
        guard endpoints.count > 1 && RemoteConfiguration.anotherEndpointCouldAnswer(error) && job.fleet.attempts[p] < retries + endpoints.count
        else {
            job.stats.failed += 1
            emit(.failed(passage: p, reason: endpoints.count > 1 ? "\(endpoints[e].name): \(why)" : why))
            return false
        }
        job.fleet.attempts[p] += 1
        job.fleet.failedOn[p] = e
        job.fleet.queue.putBack(p)
        // A stream the server cut (llama-cpp-python, when another request arrives) says nothing about the server's health,
        // nor does a refusal of this request: the endpoint stays in service.
        let takeOut = job.fleet.stats[e].up && RemoteConfiguration.isEndpointTrouble(error)
        if takeOut {
            job.fleet.takeOut(e)
            emit(.endpoint(endpoints[e].name, up: false, reason: why))
        }
        let cut = RemoteConfiguration.isCut(error)
        emit(
            .restarted(
                passage: p, reasoning: (request.profile ?? job.automatic).reasoningStart,  // where every chain starts
                reason: "\(endpoints[e].name): \(why); judged again\(cut ? "" : " on another endpoint")"))
        return takeOut
    }

    /// An endpoint taken out was asked again: back in service, retired (it now judges otherwise), or asked again later;
    /// when every endpoint is out for good, what waits fails. Returns whether to ask it again.
    private func checked(
        _ e: Int, _ result: Result<(facts: ServerFacts, choice: ProfileChoice), Error>, _ job: inout Job,
        _ emit: @Sendable (RerankEvent) -> Void
    ) -> Bool {
        guard job.fleet.hasWork else { return false }
        switch result {
        case .success(let setup) where setup.choice.profile == job.automatic:
            job.facts[e] = setup.facts
            job.fleet.lanes[e] = setup.facts.streams(asked: job.lanes)
            job.fleet.bringBack(e)
            emit(.endpoint(endpoints[e].name, up: true, reason: "answers again"))
        case .success(let setup):
            job.fleet.failedChecks[e] = Int.max / 2  // never again in this job
            emit(.endpoint(endpoints[e].name, up: false, reason: "it now gets profile \(setup.choice.profile.name), not \(job.automatic.name)"))
        case .failure:
            job.fleet.failedChecks[e] += 1
            guard job.fleet.allOutForGood(after: retries) else { return true }
            let reasons = job.fleet.names.joined(separator: ", ")
            for p in job.fleet.queue.waiting {
                job.stats.failed += 1
                emit(.failed(passage: p, reason: "every endpoint failed and none came back (\(reasons))"))
            }
            job.fleet.queue.removeAll()
        }
        return false
    }
}

extension RemoteReranker {
    /// Every passage's direct verdict, before any chain: one request each, up to the endpoints' lanes at once, the
    /// passages the user wants first. A direct verdict that fails is left out (the chain still judges the passage);
    /// the failures are counted in `stats`, the first reason kept.
    fileprivate func directVerdicts(
        _ request: RerankRequest, _ filled: String, _ facts: [ServerFacts?], _ automatic: PromptProfile, _ fleet: Fleet,
        _ emit: @escaping @Sendable (RerankEvent) -> Void, _ stats: inout JobStats, since start: Date
    ) async -> [Int: (verdict: DirectVerdict, fitted: (String, Bool))] {
        var fleet = fleet  // the passages still to judge (the cache answered the others)
        for e in facts.indices where facts[e] == nil { fleet.stats[e].up = false }  // not serving now
        var out: [Int: (verdict: DirectVerdict, fitted: (String, Bool))] = [:]
        typealias Answer = (passage: Int, endpoint: Int, Result<(DirectVerdict, fitted: (String, Bool)), Error>)
        await withTaskGroup(of: Answer.self) { group in
            func dispatch() {
                while let (p, e) = fleet.nextAssignment(preferring: wanted.value) {
                    let endpoint = endpoints[e]
                    let f = facts[e]!
                    group.addTask { (p, e, await Result { try await endpoint.direct(p, request, filled, f, automatic) }) }
                }
            }
            dispatch()
            while let (p, e, result) = await group.next() {
                if Task.isCancelled {
                    group.cancelAll()
                    break
                }
                fleet.finished(e, judged: false)
                switch result {
                case .success(let (d, fitted)):
                    out[p] = (d, fitted)
                    stats.directs += 1
                    emit(.direct(passage: p, d))
                case .failure(let error):
                    stats.directFailures += 1
                    if stats.directFailure == nil { stats.directFailure = "\(request.passages[p].id): \(endpoints[e].reason(error))" }
                }
                dispatch()
            }
        }
        if stats.directs == request.passages.count { stats.allDirectSeconds = Date().timeIntervalSince(start) }
        return out
    }
}

/// Which endpoints of a job are serving, what each has in flight, and the passages still to send.
struct Fleet {
    /// Streams each endpoint may have open.
    var lanes: [Int]
    var inFlight: [Int], failedChecks: [Int]
    /// Per endpoint: what it served, times taken out, whether it is serving now.
    var stats: [EndpointStats]
    var queue: StartOrder
    /// Failures of each passage that sent it elsewhere, and the endpoint it last failed on (avoided next time).
    var attempts: [Int]
    var failedOn: [Int: Int] = [:]

    init(_ names: [String], lanes: Int, passages: Int) {
        self.lanes = names.map { _ in lanes }
        inFlight = names.map { _ in 0 }
        failedChecks = names.map { _ in 0 }
        stats = names.map { EndpointStats(endpoint: $0) }
        queue = StartOrder(count: passages)
        attempts = Array(repeating: 0, count: passages)
    }

    /// The next passage (the first wanted one waiting, else the next in order) and the serving endpoint with a free
    /// lane and the fewest in flight, if both exist.
    mutating func nextAssignment(preferring wanted: [Int] = []) -> (Int, Int)? {
        guard let p = queue.peek(preferring: wanted) else { return nil }
        let free = stats.indices.filter { stats[$0].up && inFlight[$0] < lanes[$0] }
        // A passage that failed on an endpoint goes to another one when another has room.
        let others = free.filter { $0 != failedOn[p] }
        guard let e = (others.isEmpty ? free : others).min(by: { inFlight[$0] < inFlight[$1] }) else { return nil }
        _ = queue.next(preferring: wanted)
        inFlight[e] += 1
        return (p, e)
    }

    mutating func finished(_ e: Int, judged: Bool) {
        inFlight[e] -= 1
        if judged { stats[e].judged += 1 }
    }

    mutating func takeOut(_ e: Int) {
        stats[e].up = false
        stats[e].takenOut += 1
    }

    mutating func bringBack(_ e: Int) {
        stats[e].up = true
        failedChecks[e] = 0
    }

    var hasWork: Bool { !queue.isEmpty || inFlight.contains { $0 > 0 } }

    /// No endpoint serves and each has failed more than `retries` re-checks in a row.
    func allOutForGood(after retries: Int) -> Bool { !stats.contains { $0.up } && failedChecks.allSatisfy { $0 > retries } }

    var names: [String] { stats.map(\.endpoint) }
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// The first time something happened, recorded from any thread.
final class FirstMoment: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: Double?
    func mark(_ s: Double) {
        lock.lock()
        if seconds == nil { seconds = s }
        lock.unlock()
    }
    var marked: Bool { value != nil }
    var value: Double? {
        lock.lock()
        defer { lock.unlock() }
        return seconds
    }
}
