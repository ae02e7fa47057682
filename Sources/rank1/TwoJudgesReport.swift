import ArgumentParser
import Foundation
import Pipeline
import Rerank

/// `rank1 rerank --judge A=… --judge B=…`: both judges on the same candidates (two in-process models one after the
/// other, on the shared cores; otherwise at once), each event and verdict line named by its judge, then the two
/// rankings side by side and how far they agree (Kendall's τ of the orders, Cohen's κ of the verdicts at 0.5).
enum TwoJudges {
    struct Judge {
        let name: String
        let engine: any Reranker
        let request: RerankRequest
        let report: RerankReport
    }

    /// Every judge prepared (a server probed, a model loaded) before any work: one that cannot judge stops the
    /// command, named.
    static func prepare(
        _ judges: [(name: String, engine: any Reranker)], query: String, passages: [Passage], options: JudgeOptions, jsonl: Bool,
        showReasoning: Bool
    ) async throws -> [Judge] {
        var out: [Judge] = []
        for (name, engine) in judges {
            let choice: ProfileChoice
            do { choice = try await engine.prepare() } catch {
                printError("rank1: judge \(name): \(error)")
                throw ExitCode.failure
            }
            let chosen = try options.choice(automatic: choice)
            var request = try options.request(query: query, passages: passages, automatic: choice.profile, inProcess: engine is LlamaReranker)
            request.profile = chosen.profile
            let report = RerankReport(
                passages: passages, query: query, instruction: request.instruction, jsonl: jsonl, showReasoning: showReasoning, streamInline: false,
                label: name)
            report.header(query: query, engine: engine, chosen: chosen, request: request, fusion: nil)
            out.append(Judge(name: name, engine: engine, request: request, report: report))
        }
        return out
    }

    /// Runs both and prints as events come; returns the passages either judge failed to judge.
    static func run(_ judges: [Judge]) async -> Int {
        let (merged, continuation) = AsyncStream<(Int, RerankEvent)>.makeStream()
        // Two in-process models would share two cores: one after the other. A server works beside anything.
        let together = !judges.allSatisfy { $0.engine is LlamaReranker }
        let runs = judges.map { ($0.engine, $0.request) }
        let feeder = Task {
            if together {
                await withTaskGroup(of: Void.self) { group in
                    for (i, run) in runs.enumerated() {
                        group.addTask { for await e in run.0.start(run.1) { continuation.yield((i, e)) } }
                    }
                }
            } else {
                for (i, run) in runs.enumerated() { for await e in run.0.start(run.1) { continuation.yield((i, e)) } }
            }
            continuation.finish()
        }
        for await (i, event) in merged { judges[i].report.event(event) }
        await feeder.value
        return judges.reduce(0) { $0 + $1.request.passages.count - $1.report.verdicts.count }
    }

    /// Both rankings and the agreement, as a table or JSON lines.
    static func summary(_ judges: [Judge], passages: [Passage], jsonl: Bool) {
        let scores = judges.map { j in passages.indices.map { j.report.verdicts[$0]?.score } }
        let agreement = JudgeAgreement(scores[0], scores[1])
        let orders = scores.map { s in RerankedOrder.of(passages.count) { s[$0] } }
        if jsonl {
            struct Ranking: Encodable {
                var event = "ranking"
                let judge: String, ids: [String]
            }
            struct Agreement: Encodable {
                var event = "agreement"
                let judges: [String], both: Int, kendallTau: Double?, cohenKappa: Double?, sameVerdict: Int
            }
            for (j, order) in zip(judges, orders) { print(EventJSON.line(Ranking(judge: j.name, ids: order.map { passages[$0].id }))) }
            print(
                EventJSON.line(
                    Agreement(
                        judges: judges.map(\.name), both: agreement.both, kendallTau: agreement.tau, cohenKappa: agreement.kappa,
                        sameVerdict: agreement.sameVerdict)))
            return
        }
        print("\nrank  \(judges[0].name.padding(toLength: 28, withPad: " ", startingAt: 0))  \(judges[1].name)")
        for r in passages.indices {
            func cell(_ j: Int) -> String {
                let p = orders[j][r]
                return (scores[j][p].map { String(format: "%.3f", $0) } ?? "  -  ") + "  " + String(passages[p].id.prefix(20))
            }
            print(String(format: "%4d  ", r + 1) + cell(0).padding(toLength: 28, withPad: " ", startingAt: 0) + "  " + cell(1))
        }
        print(agreement.said(judges.map(\.name)))
    }
}

extension JudgeAgreement {
    /// "a and b: both judged 10; Kendall's τ 0.42 between their orders; the same verdict at 0.5 on 7 (Cohen's κ 0.35)".
    func said(_ names: [String]) -> String {
        let tau =
            tau.map { String(format: "Kendall's τ %.2f between their orders", $0) } ?? "Kendall's τ undefined (fewer than two, or one score for all)"
        let kappa = kappa.map { String(format: "Cohen's κ %.2f", $0) } ?? "Cohen's κ undefined: one verdict for all"
        return "\(names.joined(separator: " and ")): both judged \(both); \(tau); the same verdict at 0.5 on \(sameVerdict) (\(kappa))"
    }
}
