import Foundation
import Synchronization
import Testing

@testable import Pipeline
@testable import Rerank

/// An evaluation's judging of one query against its journal: what the journal holds is not asked again, each
/// judgment and failure is appended as it happens, and events carry the candidate list's passage numbers.
@Suite struct QueryJudgingTests {
    /// A scripted engine for the test: scores by passage id, fails the ids in `failing`, records what it was asked.
    final class Scripted: Reranker {
        let failing: Set<String>
        let asked = Mutex<[[String]]>([])
        init(failing: Set<String> = []) { self.failing = failing }
        var modelName: String { "scripted" }
        var backendName: String { "test" }
        func prepare() async throws -> ProfileChoice { ProfileChoice(profile: .rank1, reason: "test", rank1Shaped: true) }
        func cancel() {}
        func prioritize(_ passages: [Int]) {}
        func identity(_ request: RerankRequest, profile: PromptProfile) -> JudgmentIdentity {
            JudgmentIdentity(judge: "scripted", threads: nil, request: request, profile: profile)
        }
        func start(_ request: RerankRequest) -> AsyncStream<RerankEvent> {
            asked.withLock { $0.append(request.passages.map(\.id)) }
            let failing = failing
            return AsyncStream { c in
                for (i, p) in request.passages.enumerated() {
                    c.yield(.started(passage: i, truncated: false))
                    if failing.contains(p.id) {
                        c.yield(.failed(passage: i, reason: "boom"))
                        continue
                    }
                    let score = Double(p.id.unicodeScalars.first!.value % 10) / 10
                    c.yield(
                        .verdict(
                            Verdict(
                                passage: i, score: score, probabilityTrue: score, reasoning: "about \(p.id)", reasoningTokens: 3,
                                forcedClose: false, rethinks: 0, truncatedPassage: false, promptTokens: 9, seconds: 0.1)))
                }
                c.yield(
                    .finished(
                        JobStats(
                            passages: request.passages.count, judged: request.passages.count, failed: 0, decodeTokens: 3, promptTokens: 9,
                            seconds: 0.1, cancelled: false, firstTokenSeconds: 0.01)))
                c.finish()
            }
        }
    }

    let passages = ["a", "b", "c"].map { Passage(id: $0, text: "passage \($0)") }
    let dir = NSTemporaryDirectory() + "rank1-judging-\(UUID().uuidString.prefix(8))"

    func judge(_ engine: Scripted, events: inout [RerankEvent]) async throws -> (QueryJudging, JudgmentJournal) {
        let journal = try JudgmentJournal(directory: dir, settings: ["model": "scripted"])
        var seen: [RerankEvent] = []
        let out = try await QueryJudging.run(
            query: ("q1", "a query"), passages: passages, settings: RerankRequest(query: "", passages: []), engine: engine,
            journal: journal, onEvent: { seen.append($0) })
        events = seen
        return (out, journal)
    }

    @Test func resumesFromTheJournalAndJudgesFailuresAgain() async throws {
        var events: [RerankEvent] = []
        let first = Scripted(failing: ["b"])
        let (a, firstJournal) = try await judge(first, events: &events)
        firstJournal.close()  // the folder has one writer at a time
        #expect(first.asked.withLock { $0 } == [["a", "b", "c"]])
        #expect(a.entries.keys.sorted() == [0, 2] && a.entries[2]?.doc == "c" && a.failures == ["q1 b: boom"])
        let lines = try String(contentsOfFile: dir + "/journal.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)  // the settings, then a, b (failed), c as they happened
        #expect(lines[2].contains("\"failed\"") && lines[2].contains("\"doc\":\"b\""))

        // Reopened: a and c are kept, only b is asked again; the events name b as candidate 1.
        let second = Scripted()
        let (b, journal) = try await judge(second, events: &events)
        #expect(journal.failedEarlier == 1)
        #expect(second.asked.withLock { $0 } == [["b"]])
        #expect(b.entries.keys.sorted() == [0, 1, 2] && b.entries[1]?.doc == "b" && b.failures.isEmpty)
        #expect(events.contains { if case .verdict(let v) = $0 { v.passage == 1 } else { false } })
        #expect(events.contains { if case .started(1, _) = $0 { true } else { false } })
        journal.close()

        // Everything held: the engine is not asked at all.
        let third = Scripted()
        let (c, _) = try await judge(third, events: &events)
        #expect(third.asked.withLock { $0 }.isEmpty && c.stats == nil && c.entries.count == 3)
    }
}
