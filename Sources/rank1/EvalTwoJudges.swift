import ArgumentParser
import Foundation
import Pipeline
import Rerank
import Retrieval

extension Eval {
    /// `rank1 eval --rerank K --judge A=… --judge B=…`: each judge's whole evaluation into `--out/NAME` (its own
    /// journal, runs and traces, so `rank1 compare OUT/A/reranked.trec OUT/B/reranked.trec` works as for any runs):
    /// at once when one of them is a server, one after the other when both are in-process (they would share the
    /// cores); then how far they agree, per query (`OUT/agreement.tsv`) and overall. A judge whose judgments fail
    /// past --allow-failures leaves the other's results intact; the command then exits 3.
    func evaluateTwoJudges(_ judges: [(name: String, engine: any Reranker)], inputs: EvalInputs, qrels: Qrels, k: Int, queries: String)
        async throws
    {
        // Both must be able to judge before either starts.
        for (name, engine) in judges {
            do { _ = try await engine.prepare() } catch {
                printError("rank1: judge \(name): \(error)")
                throw ExitCode.failure
            }
        }
        var reports: [(name: String, report: EvalReport)] = []
        var failed: [String] = []
        let together = !judges.allSatisfy { $0.engine is LlamaReranker }
        let command = UncheckedSendable(self)
        let inputsBox = UncheckedSendable(inputs)
        let engines = UncheckedSendable(judges)
        // Each judge's evaluation; a failure past --allow-failures is that judge's (nil), the other goes on.
        @Sendable func one(_ i: Int) async throws -> UncheckedSendable<EvalReport>? {
            let (name, engine) = engines.value[i]
            let c = command.value
            printError("rank1: judge \(name) (\(engine.modelName)) into \(c.out)/\(name)")
            do {
                return UncheckedSendable(
                    try await c.evaluate(engine, inputs: inputsBox.value, qrels: qrels, k: k, queries: queries, out: c.out + "/" + name))
            } catch let exit as ExitCode where exit.rawValue == ExitCodes.judgmentsFailed {
                return nil
            }
        }
        var results: [UncheckedSendable<EvalReport>?] = []
        if together {
            async let a = one(0)
            async let b = one(1)
            results = [try await a, try await b]
        } else {
            for i in judges.indices { results.append(try await one(i)) }
        }
        for (i, result) in results.enumerated() {
            let name = judges[i].name
            guard let report = result?.value else {
                failed.append(name)
                continue
            }
            reports.append((name, report))
            if json {
                print("{\"judge\":" + EventJSON.line(name) + "," + report.json.dropFirst())
            } else {
                print("== judge \(name)")
                report.print(label: self.report)
            }
        }
        if reports.count == 2 { try agreement(reports.map(\.name), reports.map { $0.report.evaluation.totals.pairs }, queries: inputs.queries) }
        if !failed.isEmpty {
            printError("rank1: judge \(failed.joined(separator: " and ")) did not judge every passage (above); the other's results stand")
            throw ExitCode(ExitCodes.judgmentsFailed)
        }
    }

    /// Kendall's τ and Cohen's κ per query (written to agreement.tsv), their means, and κ over every pair.
    func agreement(_ names: [String], _ pairs: [[VerdictCalibration.Pair]], queries: [(id: String, text: String)]) throws {
        let scores = pairs.map { list in Dictionary(list.map { ("\($0.query)\t\($0.doc)", $0.reasoned) }, uniquingKeysWith: { a, _ in a }) }
        var lines = "query\tboth\tkendall_tau\tcohen_kappa\tsame_verdict\n"
        var taus: [Double] = []
        var kappas: [Double] = []
        for q in queries {
            let docs = pairs[0].filter { $0.query == q.id }.map { "\(q.id)\t\($0.doc)" }
            let a = JudgeAgreement(docs.map { scores[0][$0] }, docs.map { scores[1][$0] })
            guard a.both > 0 else { continue }
            if let t = a.tau { taus.append(t) }
            if let k = a.kappa { kappas.append(k) }
            func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "-" }
            lines += "\(q.id)\t\(a.both)\t\(f(a.tau))\t\(f(a.kappa))\t\(a.sameVerdict)\n"
        }
        try reportingErrors { try lines.write(toFile: out + "/agreement.tsv", atomically: true, encoding: .utf8) }
        let keys = Array(scores[0].keys)
        let overall = JudgeAgreement(keys.map { scores[0][$0] }, keys.map { scores[1][$0] })
        let meanTau = taus.isEmpty ? nil : taus.reduce(0, +) / Double(taus.count)
        let meanKappa = kappas.isEmpty ? nil : kappas.reduce(0, +) / Double(kappas.count)
        if json {
            struct Agreement: Encodable {
                var event = "agreement"
                let judges: [String], pairs: Int, sameVerdict: Int, cohenKappa: Double?, meanKendallTau: Double?, meanCohenKappa: Double?
                let queries: Int
            }
            print(
                EventJSON.line(
                    Agreement(
                        judges: names, pairs: overall.both, sameVerdict: overall.sameVerdict, cohenKappa: overall.kappa, meanKendallTau: meanTau,
                        meanCohenKappa: meanKappa, queries: taus.count)))
            return
        }
        func f(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "undefined" }
        print(
            "== agreement of \(names.joined(separator: " and ")): over \(overall.both) pairs the same verdict at 0.5 on \(overall.sameVerdict) "
                + "(Cohen's κ \(f(overall.kappa))); per query, Kendall's τ mean \(f(meanTau)) over \(taus.count) queries, "
                + "Cohen's κ mean \(f(meanKappa)); per query in \(out)/agreement.tsv")
    }
}

/// A value handed to a concurrent task without crossing it while shared: the parsed command (immutable), the
/// evaluation's inputs (read only), the judges (each used by its own task), one judge's report (made in the task,
/// read after it).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
