import Foundation
import Synchronization
import Testing

@testable import Rerank
@testable import Service

/// The service's queue: one job at a time in arrival order, a full line refused with Retry-After, a cancelled
/// request out of the line or its running job stopped.
@Suite struct JudgeQueueTests {
    /// A test engine whose job ends when `release` is called (or when cancelled); records starts and cancels.
    final class Gated: Reranker {
        let started = Mutex<[String]>([])
        let cancels = Mutex(0)
        let gates = Mutex<[AsyncStream<RerankEvent>.Continuation]>([])
        var modelName: String { "gated" }
        var backendName: String { "test" }
        func prepare() async throws -> ProfileChoice { ProfileChoice(profile: .rank1, reason: "test", rank1Shaped: true) }
        func cancel() {
            cancels.withLock { $0 += 1 }
            gates.withLock { g in
                for c in g { c.finish() }
                g.removeAll()
            }
        }
        func prioritize(_ passages: [Int]) {}
        func identity(_ request: RerankRequest, profile: PromptProfile) -> JudgmentIdentity {
            JudgmentIdentity(judge: "gated", threads: nil, request: request, profile: profile)
        }
        func start(_ request: RerankRequest) -> AsyncStream<RerankEvent> {
            started.withLock { $0.append(request.query) }
            let (stream, c) = AsyncStream<RerankEvent>.makeStream()
            gates.withLock { $0.append(c) }
            return stream
        }
        /// Ends the running job with a verdict for passage 0.
        func release() {
            let c = gates.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            c?.yield(
                .verdict(
                    Verdict(
                        passage: 0, score: 0.7, probabilityTrue: 0.7, reasoning: "", reasoningTokens: 1, forcedClose: false, rethinks: 0,
                        truncatedPassage: false, promptTokens: 1, seconds: 0)))
            c?.finish()
        }
        var running: Int { gates.withLock { $0.count } }
    }

    static func request(_ q: String) -> RerankRequest { RerankRequest(query: q, passages: [Passage(id: "0", text: "t")]) }

    static func until(_ condition: () async -> Bool) async throws {
        for _ in 0..<500 where !(await condition()) { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(await condition())
    }

    @Test func oneAtATimeInOrderAndAFullLineIsRefused() async throws {
        let engine = Gated()
        let queue = JudgeQueue(reranker: engine, limit: 1, metrics: ServiceMetrics())
        let a = Task { try await queue.judge(Self.request("a")) }
        try await Self.until { engine.running == 1 }
        let b = Task { try await queue.judge(Self.request("b")) }
        try await Self.until { await queue.depth == 2 }
        // One waits already: the next is refused at once, with a Retry-After.
        await #expect(throws: APIError.self) { try await queue.judge(Self.request("c")) }
        do { _ = try await queue.judge(Self.request("c")) } catch let e as APIError {
            #expect(e.status == 429 && (e.retryAfter ?? 0) >= 1)
        }
        #expect(engine.started.withLock { $0 } == ["a"])
        engine.release()
        #expect(try await a.value.verdicts[0]?.score == 0.7)
        try await Self.until { engine.running == 1 }
        engine.release()
        #expect(try await b.value.verdicts.count == 1)
        #expect(engine.started.withLock { $0 } == ["a", "b"])
        #expect(await queue.depth == 0)
    }

    @Test func cancelledRequestsLeaveTheLineOrStopTheirJob() async throws {
        let engine = Gated()
        let queue = JudgeQueue(reranker: engine, limit: 4, metrics: ServiceMetrics())
        let a = Task { try await queue.judge(Self.request("a")) }
        try await Self.until { engine.running == 1 }
        let b = Task { try await queue.judge(Self.request("b")) }
        let c = Task { try await queue.judge(Self.request("c")) }
        try await Self.until { await queue.depth == 3 }
        b.cancel()  // waiting: leaves the line, never started
        await #expect(throws: CancellationError.self) { try await b.value }
        #expect(await queue.depth == 2)
        a.cancel()  // running: its job is stopped
        await #expect(throws: CancellationError.self) { try await a.value }
        #expect(engine.cancels.withLock { $0 } == 1)
        try await Self.until { engine.running == 1 }
        engine.release()
        #expect(try await c.value.verdicts.count == 1)
        #expect(engine.started.withLock { $0 } == ["a", "c"])
    }
}
