import ArgumentParser
import Foundation
import Pipeline
import Rerank
import Retrieval

/// What `rank1 eval --rerank` starts from: the index, the judged queries (in file order, at most --max-queries) and,
/// with --run, the first stage's candidates, each looked up in the index before anything is judged.
struct EvalInputs {
    let reader: IndexReader
    let searcher: Searcher
    let queries: [(id: String, text: String)]
    let given: [String: [RerankEvaluation.Candidate]]?

    static func load(
        qrels qr: Qrels, qrelsPath: String, index: String, queries: String, firstStage: String?, maxQueries: Int?, skipMissing: Bool
    ) throws -> EvalInputs {
        let reader = try reportingErrors { try IndexReader(directory: index) }
        let searcher = try reportingErrors { try Searcher(index: reader) }
        let all = try reportingErrors { try readQueries(queries) }
        try reportingErrors { try requireSharedQueries((queries, all.map(\.id)), (qrelsPath, Array(qr.judgments.keys))) }
        var qs = all.filter { !qr.relevant($0.id).isEmpty }
        var given: [String: [RerankEvaluation.Candidate]]?
        if let path = firstStage {
            let run = try reportingErrors { try Run(path: path) }
            qs = qs.filter { run.results[$0.id] != nil }
            guard !qs.isEmpty else { throw ValidationError("\(path): no query of \(queries) with judgments is in the run") }
            given = try candidatesInIndex(
                run, path: path, queries: qs.prefix(maxQueries ?? qs.count).map(\.id), reader: reader, index: index, skipMissing: skipMissing)
        }
        if let n = maxQueries { qs = Array(qs.prefix(n)) }
        return EvalInputs(reader: reader, searcher: searcher, queries: qs, given: given)
    }
}

/// The end of `rank1 eval --rerank`: the first stage's, the direct verdicts', the reranked and (with fusion) the fused
/// metrics, early exit as measured, and how the judging went; as text or one JSON line.
struct EvalReport {
    let evaluation: RerankEvaluation
    let qrels: Qrels
    let k: Int
    let profile: PromptProfile
    let fusion: ScoreFusion?
    let rule: EarlyExit?
    let direct: Bool
    let model: String
    let firstStageLabel: String
    let out: String
    let seconds: Double
    let fleet: [String]

    var t: RerankEvaluation.Totals { evaluation.totals }
    var before: Evaluation { Evaluation(run: evaluation.firstStage, qrels: qrels) }
    var after: Evaluation { Evaluation(run: evaluation.reranked, qrels: qrels) }
    var directRun: Evaluation? { direct ? Evaluation(run: evaluation.direct, qrels: qrels) : nil }
    var fused: Evaluation? { fusion.map { _ in Evaluation(run: evaluation.fused, qrels: qrels) } }
    var early: Evaluation? { rule.map { _ in Evaluation(run: evaluation.earlyExit, qrels: qrels) } }
    var saved: Double { t.tokensWithoutExit == 0 ? 0 : 1 - Double(t.tokensWithExit) / Double(t.tokensWithoutExit) }
    var medianTokens: Double { t.chainTokens.isEmpty ? 0 : median(t.chainTokens.map(Double.init)) }
    var repetitiveShare: Double { t.chainTokens.isEmpty ? 0 : Double(t.repetitive) / Double(t.chainTokens.count) }
    var secondsPerPassage: Double { t.judgedPassages == 0 ? 0 : t.judgedSeconds / Double(t.judgedPassages) }
    var calibration: VerdictCalibration { VerdictCalibration(t.pairs, qrels: qrels) }
    var meanGrounded: Double? { t.grounded.isEmpty ? nil : t.grounded.reduce(0, +) / Double(t.grounded.count) }

    var json: String {
        let (before, after, direct, fused, early) = (before, after, directRun, fused, early)
        return EventJSON.line(
            EvalSummary(
                queries: before.queries, rerank: k, bm25Ndcg10: before.ndcg10, rerankedNdcg10: after.ndcg10, bm25Mrr10: before.mrr10,
                rerankedMrr10: after.mrr10, fusedNdcg10: fused?.ndcg10, fusedMrr10: fused?.mrr10, fusionWeight: fusion?.weight,
                profile: profile.name, medianReasoningTokens: medianTokens, repetitiveShare: repetitiveShare, stoppedRepeating: t.stopped,
                secondsPerPassage: secondsPerPassage, model: model, earlyExitNdcg10: early?.ndcg10, earlyExits: early.map { _ in t.exits },
                earlyExitTokensSaved: early.map { _ in saved }, directNdcg10: direct?.ndcg10, directMrr10: direct?.mrr10,
                directVerdicts: direct.map { _ in t.directs }, flips: direct.map { _ in t.flips }, fallbacks: t.fallbacks,
                calibration: CalibrationJSON(calibration, direct: self.direct), meanGrounded: meanGrounded))
    }

    /// The text report; `label` prints one run's metrics on a line.
    func print(label report: (Evaluation, String?) -> Void) {
        let (before, after) = (before, after)
        if !t.failures.isEmpty {
            Swift.print("\(t.failures.count) judgments failed (allowed by --allow-failures); their passages keep BM25 order below the judged")
        }
        Swift.print(String(format: "%d queries, %d passages judged in %.0f s", t.queries, t.passages, seconds))
        Swift.print(
            "model \(model), profile \(profile.name), \(firstStageLabel) top \(k) reranked, \(before.queries) queries; runs and traces in \(out)/")
        if fleet.count > 1 { Swift.print("served: " + fleet.map { "\($0) \(t.served[$0] ?? 0)" }.joined(separator: "; ")) }
        report(before, firstStageLabel)
        if let direct = directRun {
            report(direct, "Direct")
            Swift.print(
                "       (direct: the verdict with no reasoning, in direct.trec; \(t.directs) of \(t.chainTokens.count) judged pairs have one; "
                    + "reasoning moved \(t.flips) of them across 0.5)")
        }
        printCalibration()
        report(after, "Rank1")
        if let fused, let fusion {
            report(fused, "Fused")
            Swift.print("       (\(fusion.label))")
        }
        if let early, let rule {
            Swift.print(
                String(
                    format: "early exit %g,%d (measured: every chain also ran to its end): %d of %d chains would stop early; "
                        + "reasoning tokens %d → %d (%.1f%% saved); nDCG@10 %.4f → %.4f (%+.4f); ranking in early-exit.trec",
                    rule.threshold, rule.count, t.exits, t.chainTokens.count, t.tokensWithoutExit, t.tokensWithExit, saved * 100,
                    after.ndcg10, early.ndcg10, early.ndcg10 - after.ndcg10))
        }
        if t.fallbacks > 0 {
            Swift.print("\(t.fallbacks) verdicts are the fallback 0.5: the server gave neither \" true\" nor \" false\" (traces.jsonl marks them)")
        }
        Swift.print(
            String(
                format: "reasoning: median %.0f tokens, %.1f%% of chains repeat themselves (%d stopped by the guard); %.2f s per passage%@",
                medianTokens, repetitiveShare * 100, t.stopped, secondsPerPassage,
                meanGrounded.map { String(format: "; %.0f%% of a chain's claiming sentences grounded in the passage or query, on average", $0 * 100) }
                    ?? ""))
    }
}

/// Progress of a long evaluation on stderr: one line rewritten in place on a terminal, otherwise a plain line
/// every 10 seconds (and at the end), so logs stay readable.
final class Progress {
    private let started: Double
    private let live = isatty(2) != 0
    private var lastPlain = 0.0
    private var lastLine = ""

    init(started: Double) { self.started = started }

    func update(queries: Int, of totalQueries: Int, passages: Int, of totalPassages: Int, tokens: Int, failures: Int) {
        let elapsed = monotonicSeconds() - started
        let left = passages > 0 ? elapsed / Double(passages) * Double(max(0, totalPassages - passages)) : 0
        let line = String(
            format: "queries %d/%d · passages %d/%d · %.0f tok/s · %@ elapsed, ~%@ left · %d failed",
            queries, totalQueries, passages, totalPassages, elapsed > 0 ? Double(tokens) / elapsed : 0,
            Progress.clock(elapsed), Progress.clock(left), failures)
        lastLine = line
        if live {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else if elapsed - lastPlain >= 10 || queries == totalQueries {
            lastPlain = elapsed
            printError(line)
        }
    }

    func finish() { if live && !lastLine.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) } }

    static func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, t % 3600 / 60) : t >= 60 ? String(format: "%dm%02ds", t / 60, t % 60) : "\(t)s"
    }
}

/// `rank1 eval --json` of a run file.
struct Metrics: Encodable {
    let queries: Int, ndcg10: Double, recall100: Double, mrr10: Double, map: Double
    enum CodingKeys: String, CodingKey {
        case queries
        case ndcg10 = "ndcg@10"
        case recall100 = "recall@100"
        case mrr10 = "mrr@10"
        case map
    }
}

/// `rank1 eval --rerank --json`: the first stage's and the reranked metrics, and how the judging went.
struct EvalSummary: Encodable {
    let queries: Int, rerank: Int, bm25Ndcg10: Double, rerankedNdcg10: Double, bm25Mrr10: Double, rerankedMrr10: Double
    let fusedNdcg10: Double?, fusedMrr10: Double?, fusionWeight: Double?
    let profile: String, medianReasoningTokens: Double, repetitiveShare: Double, stoppedRepeating: Int, secondsPerPassage: Double
    let model: String
    /// With early exit measured: the reranking where it would have stopped, how many chains, the share of tokens.
    let earlyExitNdcg10: Double?, earlyExits: Int?, earlyExitTokensSaved: Double?
    /// With direct verdicts: the ranking by them (no reasoning), how many pairs have one, how many reasoning flipped;
    /// verdicts that are the fallback 0.5 (remote).
    let directNdcg10: Double?, directMrr10: Double?, directVerdicts: Int?, flips: Int?, fallbacks: Int
    /// Verdicts at 0.5 against the qrels (`VerdictCalibration`).
    let calibration: CalibrationJSON
    /// The mean of the chains' `grounded` shares (README: Why).
    let meanGrounded: Double?
    enum CodingKeys: String, CodingKey {
        case queries, rerank, profile, model, flips, fallbacks, calibration
        case directNdcg10 = "direct_ndcg@10"
        case directMrr10 = "direct_mrr@10"
        case directVerdicts = "direct_verdicts"
        case earlyExitNdcg10 = "early_exit_ndcg@10"
        case earlyExits = "early_exits"
        case earlyExitTokensSaved = "early_exit_tokens_saved"
        case bm25Ndcg10 = "bm25_ndcg@10"
        case rerankedNdcg10 = "reranked_ndcg@10"
        case bm25Mrr10 = "bm25_mrr@10"
        case rerankedMrr10 = "reranked_mrr@10"
        case fusedNdcg10 = "fused_ndcg@10"
        case fusedMrr10 = "fused_mrr@10"
        case fusionWeight = "fusion_weight"
        case medianReasoningTokens = "median_reasoning_tokens"
        case repetitiveShare = "repetitive_share"
        case stoppedRepeating = "stopped_repeating"
        case secondsPerPassage = "seconds_per_passage"
        case meanGrounded = "mean_grounded"
    }
}

extension EvalReport {
    /// Verdicts at 0.5 against the qrels: does the reasoning push them toward "relevant"?
    func printCalibration() {
        let c = calibration
        func rate(_ r: Double?) -> String { r.map { String(format: "%.3f", $0) } ?? "-" }
        let r = c.reasoned
        var line = "verdicts at 0.5 against the qrels (\(r.relevant) relevant pairs, \(r.notRelevant) not): "
        if direct && c.direct.relevant + c.direct.notRelevant > 0 {
            let (d, w) = (c.direct, c.reasonedWhereDirect)
            line += "true-positive rate direct \(rate(d.truePositiveRate)) → reasoned \(rate(w.truePositiveRate)), "
            line += "true-negative rate direct \(rate(d.trueNegativeRate)) → reasoned \(rate(w.trueNegativeRate)); "
            line += "of the \(c.flips) verdicts the reasoning flipped, \(c.flipsTowardQrels) moved toward the qrels"
        } else {
            line += "true-positive rate \(rate(r.truePositiveRate)), true-negative rate \(rate(r.trueNegativeRate))"
        }
        Swift.print(line)
    }
}

/// `calibration` in `rank1 eval --json`.
struct CalibrationJSON: Encodable {
    let relevant: Int, notRelevant: Int, reasonedTpr: Double?, reasonedTnr: Double?
    let directTpr: Double?, directTnr: Double?, flips: Int?, flipsTowardQrels: Int?
    init(_ c: VerdictCalibration, direct: Bool) {
        relevant = c.reasoned.relevant
        notRelevant = c.reasoned.notRelevant
        reasonedTpr = direct ? c.reasonedWhereDirect.truePositiveRate : c.reasoned.truePositiveRate
        reasonedTnr = direct ? c.reasonedWhereDirect.trueNegativeRate : c.reasoned.trueNegativeRate
        directTpr = direct ? c.direct.truePositiveRate : nil
        directTnr = direct ? c.direct.trueNegativeRate : nil
        flips = direct ? c.flips : nil
        flipsTowardQrels = direct ? c.flipsTowardQrels : nil
    }
    enum CodingKeys: String, CodingKey {
        case relevant, flips
        case notRelevant = "not_relevant"
        case reasonedTpr = "reasoned_tpr"
        case reasonedTnr = "reasoned_tnr"
        case directTpr = "direct_tpr"
        case directTnr = "direct_tnr"
        case flipsTowardQrels = "flips_toward_qrels"
    }
}
