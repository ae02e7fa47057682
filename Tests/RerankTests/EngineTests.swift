import Foundation
import Testing

@testable import Rerank

/// The in-process engine with the embedded SmolLM2 model: events, supersede, cancel, memory.
@Suite(.serialized) struct EngineTests {
    static let engine: LlamaReranker = {
        let config = LlamaConfiguration(libraryPath: RerankFixtures.libraryPath, modelPath: RerankFixtures.model("smollm2"), threads: 2)
        return try! LlamaReranker(configuration: config)
    }()

    static let passages = [
        Passage(id: "a", title: "Cats", text: "Cats are small domesticated carnivorous mammals."),
        Passage(id: "b", title: "", text: "The stock market fell sharply on Tuesday."),
        Passage(id: "c", title: "Kittens", text: "A kitten is a juvenile cat; kittens are born in litters."),
        Passage(id: "d", title: "", text: "Photosynthesis converts light energy into chemical energy."),
    ]

    func request(budget: Int = 24, parallel: Int = 4) -> RerankRequest {
        var r = RerankRequest(query: "what is a cat", passages: EngineTests.passages)
        r.budget = budget
        r.parallel = parallel
        return r
    }

    @Test func everyPassageGetsStartedTokensAndOneVerdict() async throws {
        let events = await RerankFixtures.events(EngineTests.engine, request())
        var started = Set<Int>()
        var verdicts: [Int: Verdict] = [:]
        var tokens: [Int: String] = [:]
        var finished: JobStats?
        for e in events {
            switch e {
            case .started(let p, _): started.insert(p)
            case .token(let p, let t):
                #expect(started.contains(p) && verdicts[p] == nil, "token outside its passage's life")
                tokens[p, default: ""] += t
            case .verdict(let v):
                #expect(verdicts[v.passage] == nil)
                verdicts[v.passage] = v
            case .failed(let p, let r): Issue.record("passage \(p) failed: \(r)")
            case .restarted(let p, _, let r): Issue.record("in-process passage \(p) restarted: \(r)")
            case .endpoint(let url, _, let reason): Issue.record("in-process engine reported endpoint \(url): \(reason)")
            case .probe(let p, _): Issue.record("probe for passage \(p) without probes on")
            case .direct(let p, _): #expect(started.contains(p) && verdicts[p] == nil, "a direct verdict outside its passage's life")
            case .finished(let s): finished = s
            }
        }
        #expect(started == [0, 1, 2, 3])
        #expect(verdicts.count == 4)
        for (p, v) in verdicts {
            #expect(v.score > 0 && v.score < 1)
            #expect(v.probabilityTrue >= 0 && v.probabilityTrue <= 1)
            #expect(v.reasoningTokens <= 24)
            #expect(v.reasoning == tokens[p, default: ""])  // the stream adds up to the stored reasoning
        }
        let stats = try #require(finished)
        #expect(stats.judged == 4 && stats.failed == 0 && !stats.cancelled)
        #expect(stats.decodeTokens == verdicts.values.reduce(0) { $0 + $1.reasoningTokens })
        // A forced close feeds at least "</think>" anew: the model never wrote it there.
        #expect(stats.reevaluatedTokens >= verdicts.values.filter(\.forcedClose).count)
        if case .finished = events.last {} else { Issue.record("the last event must be finished") }
    }

    /// A prompt longer than one batch (2,048 tokens at --parallel 1) is fed in chunks and judged; it used to fail,
    /// and as the job's first prompt it held up every later passage, which then got no event at all.
    @Test func aPromptLongerThanABatchIsJudgedAndHoldsNothingUp() async throws {
        let long = Passage(id: "long", title: "Cats", text: String(repeating: "Cats are small domesticated carnivorous mammals. ", count: 400))
        for schedule in [Schedule.batched, .single] {
            var r = request(budget: 8, parallel: 1)
            r.passages = [long] + EngineTests.passages.prefix(2)
            r.maxPassageTokens = 4000
            r.schedule = schedule
            let events = await RerankFixtures.events(EngineTests.engine, r)
            let failures = events.compactMap { if case .failed(_, let why) = $0 { why } else { nil } }
            #expect(failures.isEmpty, "\(schedule): \(failures)")
            let verdicts = RerankFixtures.verdicts(events)
            #expect(verdicts.count == 3 && (verdicts.first?.promptTokens ?? 0) > 2048, "\(schedule): \(verdicts.map(\.promptTokens))")
        }
    }

    @Test func batchedAndSingleScheduleJudgeTheSamePassages() async throws {
        var single = request()
        single.schedule = .single
        let a = await RerankFixtures.events(EngineTests.engine, single)
        let b = await RerankFixtures.events(EngineTests.engine, request())
        func verdictIDs(_ es: [RerankEvent]) -> [Int] { es.compactMap { if case .verdict(let v) = $0 { v.passage } else { nil } }.sorted() }
        #expect(verdictIDs(a) == [0, 1, 2, 3] && verdictIDs(b) == [0, 1, 2, 3])
    }

    @Test func supersededJobStopsWithinOneDecodeStep() async throws {
        let engine = EngineTests.engine
        var long = request(budget: 200, parallel: 4)
        long.minReasoningTokens = 200
        let first = engine.start(long)
        var afterSupersede = 0
        var superseded = false
        var second: AsyncStream<RerankEvent>?
        for await e in first {
            if superseded {
                afterSupersede += 1
                if case .verdict = e { Issue.record("a superseded job produced a verdict") }
                if case .finished = e { Issue.record("a superseded job reported finished") }
            } else if case .token = e {
                superseded = true
                second = engine.start(request())
            }
        }
        // At most the events of the decode step that was running: one token per lane.
        #expect(afterSupersede <= 4)
        var verdicts = 0
        for await e in second! { if case .verdict = e { verdicts += 1 } }
        #expect(verdicts == 4)
    }

    /// Chores (the benchmark's bare loop) run on the engine's one thread, so llama.cpp's OpenMP team is the
    /// engine's; results and errors come back; jobs still run afterwards.
    @Test func performRunsOnTheEngineThread() async throws {
        let caller = pthread_self()
        let a = try await EngineTests.engine.perform { pthread_self() }
        let b = try await EngineTests.engine.perform { pthread_self() }
        #expect(pthread_equal(a, b) != 0)
        #expect(pthread_equal(a, caller) == 0)
        await #expect(throws: RerankError.self) { try await EngineTests.engine.perform { throw RerankError("chore failed") } }
        #expect(RerankFixtures.verdicts(await RerankFixtures.events(EngineTests.engine, request())).count == 4)
    }

    @Test func cancelEndsTheStream() async throws {
        var r = request(budget: 200)
        r.minReasoningTokens = 200
        let stream = EngineTests.engine.start(r)
        var sawFinished = false
        var count = 0
        for await e in stream {
            count += 1
            if count == 3 { EngineTests.engine.cancel() }
            if case .finished = e { sawFinished = true }
        }
        #expect(!sawFinished)
        #expect(count < 3 + 8)
    }

    @Test func memoryStaysFlatOver100SupersededJobs() async throws {
        let engine = EngineTests.engine
        // Without /proc there is nothing to measure: that is a failure, not a pass.
        let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        #expect(Double(statm.split(separator: " ")[1]) ?? 0 > 0)
        func rssMB() -> Double {
            let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
            return Double(statm.split(separator: " ")[1])! * 4096 / 1_048_576
        }
        var r = request(budget: 64, parallel: 4)
        r.minReasoningTokens = 64
        var samples: [Double] = []
        for i in 0..<100 {
            let s = engine.start(r)
            for await e in s { if case .token = e { break } }  // running: now supersede it
            if i == 10 { samples.append(rssMB()) }
        }
        engine.cancel()
        samples.append(rssMB())
        print("RSS after 10 superseded jobs: \(samples[0]) MB, after 100: \(samples[1]) MB")
        #expect(samples[1] - samples[0] < 16)
    }
}

/// Thinking control on the real engine (SmolLM2, which loops on the raw Rank1 prompt). Nested in EngineTests
/// so that it shares the engine one job at a time (a job started elsewhere would supersede these).
extension EngineTests {
    @Suite(.serialized) struct ThinkingControlTests {
        static let query = "ALDH1 expression is associated with poorer prognosis for breast cancer primary tumors."
        /// SmolLM2 answers this scifact passage with "The answer is:\n\nA:\n\nA:\n\n…" on the raw prompt.
        static let looping = try! RerankFixtures.scifact("22401720")

        func request(guardOn: Bool) -> RerankRequest {
            var r = RerankRequest(query: EngineTests.ThinkingControlTests.query, passages: [EngineTests.ThinkingControlTests.looping])
            r.profile = .rank1
            r.budget = 64
            r.parallel = 1
            r.repetitionGuard = guardOn
            return r
        }

        @Test func guardStopsALoopingChainAndClosesItByForce() async throws {
            let off = try #require(RerankFixtures.verdicts(await RerankFixtures.events(EngineTests.engine, request(guardOn: false))).first)
            let on = try #require(RerankFixtures.verdicts(await RerankFixtures.events(EngineTests.engine, request(guardOn: true))).first)
            #expect(off.repetitive && !off.stoppedRepeating && off.reasoningTokens == 64, "without the guard the loop runs to the budget")
            #expect(on.repetitive && on.stoppedRepeating && on.forcedClose)
            #expect(on.reasoningTokens < off.reasoningTokens)
            #expect(on.score > 0 && on.score < 1)
        }

        @Test func minimumLengthMasksTheCloseAndTheEndOfGeneration() async throws {
            var r = RerankRequest(query: "what is a cat", passages: EngineTests.passages)
            r.profile = .chatml
            r.budget = 40
            r.minReasoningTokens = 30
            r.repetitionGuard = false
            let verdicts = RerankFixtures.verdicts(await RerankFixtures.events(EngineTests.engine, r))
            #expect(verdicts.count == EngineTests.passages.count)
            for v in verdicts {
                #expect(v.reasoningTokens >= 30, "a chain ended before its minimum: \(v.reasoning)")
                // Nothing closes the reasoning within the first 30 tokens: no "</" before the end of the chain.
                #expect(v.reasoning.hasPrefix("The query"))
            }
        }
    }
}
