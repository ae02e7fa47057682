import Foundation
import Testing

@testable import Rerank

/// Direct verdicts (the forced close right after the prompt) on the embedded models: one per passage, before its
/// verdict, and chains exactly as without them; the passages the user wants start first. Nested in EngineTests so
/// that its jobs never overlap that suite's (whose memory test reads the process's size).
extension EngineTests {
    @Suite(.serialized) struct DirectVerdictTests {
        static let engines: [String: LlamaReranker] = [
            "smollm2": EngineTests.engine,
            "qwen": try! LlamaReranker(
                configuration: LlamaConfiguration(libraryPath: RerankFixtures.libraryPath, modelPath: RerankFixtures.model("qwen"), threads: 2)),
        ]

        static let passages = [
            Passage(id: "a", title: "Cats", text: "Cats are small domesticated carnivorous mammals."),
            Passage(id: "b", title: "", text: "The stock market fell sharply on Tuesday."),
            Passage(id: "c", title: "Kittens", text: "A kitten is a juvenile cat; kittens are born in litters."),
            Passage(id: "d", title: "", text: "Photosynthesis converts light energy into chemical energy."),
            Passage(id: "e", title: "Dogs", text: "Dogs were domesticated from wolves; they are loyal companions."),
            Passage(id: "f", title: "", text: "A tabby is a domestic cat with a coat of stripes, dots or swirls."),
        ]

        func request(_ schedule: Schedule, direct: Bool, parallel: Int = 4) -> RerankRequest {
            var r = RerankRequest(query: "what is a cat", passages: DirectVerdictTests.passages)
            r.budget = 20
            r.parallel = parallel
            r.schedule = schedule
            r.direct = direct
            r.profile = .chatml
            return r
        }

        /// Bit for bit: the same reasoning and the same score with direct verdicts on and off, on both schedules, with
        /// more passages than lanes (two wait, and get their direct verdict ahead of their lane).
        @Test(arguments: ["smollm2", "qwen"], [Schedule.batched, .single])
        func chainsAndVerdictsAreUnchanged(model: String, schedule: Schedule) async throws {
            let engine = try #require(DirectVerdictTests.engines[model])
            let off = RerankFixtures.verdicts(await RerankFixtures.events(engine, request(schedule, direct: false)))
            let events = await RerankFixtures.events(engine, request(schedule, direct: true))
            let on = RerankFixtures.verdicts(events)
            #expect(off.count == 6 && on.count == 6)
            for (a, b) in zip(off, on) {
                #expect(
                    a.reasoning == b.reasoning && a.score == b.score && a.probabilityTrue == b.probabilityTrue,
                    "\(model) \(schedule) passage \(a.passage)")
                #expect(a.direct == nil)
            }
            // One direct verdict per passage, before its verdict, carried by the verdict.
            var directs: [Int: DirectVerdict] = [:]
            for e in events {
                if case .direct(let p, let d) = e {
                    #expect(directs[p] == nil, "a second direct verdict for passage \(p)")
                    #expect(d.score > 0 && d.score < 1 && d.probabilityTrue >= 0 && d.probabilityTrue <= 1)
                    directs[p] = d
                }
                if case .verdict(let v) = e {
                    #expect(directs[v.passage] != nil, "passage \(v.passage)'s verdict came before its direct verdict")
                    #expect(v.direct == directs[v.passage])
                }
            }
            #expect(directs.count == 6)
            guard case .finished(let stats) = events.last else { throw RerankError("no finished event") }
            #expect(stats.directs == 6 && stats.allDirectSeconds != nil)
        }

        /// The direct verdict is the score after `prompt + the closing text of a chain with no reasoning`: checked against
        /// that text evaluated here on a context of its own, the prompt in one decode and the closing tail in the next (the
        /// single schedule's decodes).
        @Test func theDirectVerdictIsTheForcedCloseAfterThePrompt() async throws {
            let engine = try #require(DirectVerdictTests.engines["smollm2"])
            var r = request(.single, direct: true, parallel: 1)
            r.passages = [DirectVerdictTests.passages[0]]
            let events = await RerankFixtures.events(engine, r)
            let direct = try #require(events.compactMap { if case .direct(_, let d) = $0 { d } else { nil } }.first)
            let profile = PromptProfile.chatml
            let prompt = profile.prompt(filledQuery: "what is a cat", passage: "Cats Cats are small domesticated carnivorous mammals.")
            let tail = profile.forcedCloseSuffix(reasoning: profile.reasoningStart)
            #expect(tail == "The query\n</think>")
            let expected = try await engine.perform { [model = engine.model] in
                try DirectVerdictTests.score(
                    model, prompt: prompt + profile.reasoningStart, tail: String(tail.dropFirst(profile.reasoningStart.count)))
            }
            #expect(abs(expected - direct.score) <= 1e-6, "direct \(direct.score), the text alone \(expected)")
        }

        /// The score after `prompt + tail`: the prompt's tokens in one decode, the rest of the whole text's in another.
        static func score(_ model: LlamaModel, prompt: String, tail: String) throws -> Double {
            let context = try LlamaContext(model: model, contextSize: 1024, batchCapacity: 1024, sequences: 1, threads: 2)
            let promptTokens = model.tokenize(prompt, addSpecial: true)
            let tokens = model.tokenize(prompt + tail, addSpecial: true)
            let split = BatchJudge.sharedLength(tokens, promptTokens)
            for range in [0..<split, split..<tokens.count] {
                context.clearBatch()
                for i in range { context.add(tokens[i], position: Int32(i), sequence: 0, logits: i == tokens.count - 1) }
                try context.decode()
            }
            let logits = try context.logits(context.batchCount - 1)
            let t = try model.singleToken(" true")
            let f = try model.singleToken(" false")
            return Rank1Score.of(logitTrue: Double(logits[Int(t)]), logitFalse: Double(logits[Int(f)]))
        }

        /// The trace cache keeps the direct verdict with the judgment and gives it back (event and verdict) on a hit.
        @Test func theTraceCacheKeepsTheDirectVerdict() async throws {
            let cache = TraceCache(directory: RerankFixtures.tempDir())
            let engine = try LlamaReranker(
                configuration: LlamaConfiguration(
                    libraryPath: RerankFixtures.libraryPath, modelPath: RerankFixtures.model("smollm2"), threads: 2, cache: cache))
            var r = request(.batched, direct: true)
            r.passages = Array(DirectVerdictTests.passages.prefix(2))
            let first = await RerankFixtures.events(engine, r)
            let again = await RerankFixtures.events(engine, r)
            let directs = { (events: [RerankEvent]) in events.compactMap { if case .direct(let p, let d) = $0 { (p, d) } else { nil } } }
            #expect(directs(first).count == 2)
            #expect(directs(again).map(\.1) == directs(first).sorted { $0.0 < $1.0 }.map(\.1))
            #expect(RerankFixtures.verdicts(again).allSatisfy { $0.cached && $0.direct != nil })
        }

        /// Work follows the user: with one lane, the passages asked for start next, in the order asked.
        @Test func wantedPassagesStartNext() async throws {
            let engine = try #require(DirectVerdictTests.engines["smollm2"])
            var r = request(.batched, direct: false, parallel: 1)
            r.budget = 4
            var started: [Int] = []
            let stream = engine.start(r)
            engine.prioritize([4, 2])
            for await e in stream { if case .started(let p, _) = e { started.append(p) } }
            #expect(started.count == 6)
            // Whatever started before the wish was heard, 4 then 2 come before every other passage still waiting.
            let rest = started.drop { $0 != 4 && $0 != 2 }
            #expect(Array(rest.prefix(2)) == [4, 2], "started \(started)")
        }
    }
}
