import CSupport
import Foundation
import Rerank

/// What a job gave its request.
public struct JobOutcome: Sendable {
    public var verdicts: [Int: Verdict] = [:]
    public var failures: [Int: String] = [:]
    public var stats: JobStats?
}

/// The reranker's jobs, one at a time (a reranker runs one job: a second `start` would supersede the first), in
/// the order they came; at most `limit` wait, and one more is refused at once (429) with a Retry-After from the
/// recent jobs' length. A request whose task is cancelled (its client went away, its deadline passed) leaves
/// the line, or stops its running job.
public actor JudgeQueue {
    public nonisolated let reranker: any Reranker
    public nonisolated let limit: Int
    /// The reranker's trace cache: a request whose every passage it holds is answered from it at once, without
    /// waiting in line.
    public nonisolated let cache: TraceCache?
    private let metrics: ServiceMetrics
    private var busy = false
    private var waiting: [(id: Int, continuation: CheckedContinuation<Void, Error>)] = []
    private var nextID = 0
    private var recentSeconds: [Double] = []

    public init(reranker: any Reranker, limit: Int, metrics: ServiceMetrics, cache: TraceCache? = nil) {
        self.reranker = reranker
        self.limit = limit
        self.cache = cache
        self.metrics = metrics
    }

    /// Requests waiting and running.
    public var depth: Int { waiting.count + (busy ? 1 : 0) }

    /// Judges `request` when its turn comes; `onEvent` sees every event of its job as it happens.
    public nonisolated func judge(_ request: RerankRequest, onEvent: @Sendable (RerankEvent) -> Void = { _ in }) async throws -> JobOutcome {
        if let outcome = cached(request) {
            for v in outcome.verdicts.values.sorted(by: { $0.passage < $1.passage }) { onEvent(.verdict(v)) }
            return outcome
        }
        try await enter()
        let started = r1_monotonic_seconds()
        var outcome = JobOutcome()
        if !Task.isCancelled {
            let events = reranker.start(request)
            await withTaskCancellationHandler {
                for await e in events {
                    onEvent(e)
                    switch e {
                    case .verdict(let v): outcome.verdicts[v.passage] = v
                    case .failed(let p, let reason): outcome.failures[p] = reason
                    case .finished(let s): outcome.stats = s
                    default: break
                    }
                }
            } onCancel: { [reranker] in
                reranker.cancel()
            }
        }
        await leave(seconds: r1_monotonic_seconds() - started)
        try Task.checkCancellation()
        return outcome
    }

    /// Every passage's verdict from the trace cache, or nil (one missing: the job runs, and reads the rest itself).
    private nonisolated func cached(_ request: RerankRequest) -> JobOutcome? {
        guard let cache, let profile = request.profile, !request.passages.isEmpty else { return nil }
        let identity = reranker.identity(request, profile: profile)
        var outcome = JobOutcome()
        for (i, p) in request.passages.enumerated() {
            guard let v = cache.lookup(TraceCache.key(identity, request: request, passage: p), passage: i) else { return nil }
            outcome.verdicts[i] = v
        }
        return outcome
    }

    private func enter() async throws {
        guard busy else {
            busy = true
            metrics.queueDepth(depth)
            return
        }
        if let full = refusal() { throw full }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                waiting.append((id, c))
                metrics.queueDepth(depth)
            }
        } onCancel: {
            Task { await self.abandon(id) }
        }
    }

    private func abandon(_ id: Int) {
        guard let i = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: i).continuation.resume(throwing: CancellationError())
        metrics.queueDepth(depth)
    }

    private func leave(seconds: Double) {
        recentSeconds = Array((recentSeconds + [seconds]).suffix(16))
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().continuation.resume() }
        metrics.queueDepth(depth)
    }

    /// The 429 a request gets now, or nil while the line has room.
    public func refusal() -> APIError? {
        guard busy && waiting.count >= limit else { return nil }
        return APIError(
            429, "the judging queue is full (\(limit) requests waiting, the server's --queue); try again later", retryAfter: retryAfter())
    }

    /// Seconds until a place is likely free: the recent jobs' median length times the jobs ahead.
    private func retryAfter() -> Int {
        let sorted = recentSeconds.sorted()
        let median = sorted.isEmpty ? 5 : sorted[sorted.count / 2]
        return max(1, Int((median * Double(waiting.count + 1)).rounded(.up)))
    }
}
