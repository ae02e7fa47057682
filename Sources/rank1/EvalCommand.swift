import ArgumentParser
import Foundation
import Pipeline
import Rerank
import Retrieval

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "nDCG@10, Recall@100, MRR@10 and MAP of a TREC run (trec_eval semantics), or of BM25 before and after Rank1 reranking.",
        discussion: """
            rank1 eval --qrels QRELS RUN
            rank1 eval --qrels QRELS --index DIR --queries QUERIES --rerank K [--max-queries N] [--out DIR]
              reranks each judged query's BM25 top K, writes bm25.trec, reranked.trec and traces.jsonl to --out,
              and reports both.
            """)
    @Option(help: "Qrels: BEIR TSV or TREC qrels.") var qrels: String
    @Argument(help: "TREC run file (without --rerank).") var runFile: String?
    @Flag(help: "JSON output.") var json = false
    @Flag(help: "No progress output (errors and the summary only).") var quiet = false
    @Option(help: "Index directory (with --rerank).") var index: String?
    @Option(help: "Queries: queries.jsonl or qid<TAB>text (with --rerank).") var queries: String?
    @Option(help: "Rerank each query's BM25 top K with Rank1 (--settings paper: 100 unless given).") var rerank: Int?
    @Option(help: "Judgments that may fail (after retries) before the run counts as failed (exit 3).") var allowFailures = 0
    @Option(
        name: .customLong("run"),
        help:
            "With --rerank: the first stage to rerank instead of our BM25: a TREC run (qid Q0 docid rank score tag) or the reference's JSON run ({qid: {docid: score}})."
    )
    var firstStage: String?
    @Flag(help: "With --run: skip (and list) candidates whose ids are not in the index, instead of stopping.") var skipMissing = false
    @Option(help: "Judged queries to use, in file order (with --rerank).") var maxQueries: Int?
    @Option(help: "Folder for the runs and traces (with --rerank).") var out = "rank1-eval"
    @OptionGroup var judge: JudgeOptions
    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        if let k = rerank, k < 1 { throw ValidationError("--rerank must be at least 1, got \(k)") }
        try judge.inProcessOnly(endpoints: modelOptions.chosen().endpoints)
        guard allowFailures >= 0 else { throw ValidationError("--allow-failures must be at least 0, got \(allowFailures)") }
        if let n = maxQueries, n < 1 { throw ValidationError("--max-queries must be at least 1, got \(n)") }
        if skipMissing && firstStage == nil { throw ValidationError("--skip-missing goes with --run") }
        // A run file is evaluated as it is; reranking starts from BM25 unless --run names the first stage.
        if let path = runFile, rerank != nil || (judge.paper && index != nil) {
            throw ValidationError("\(path) is evaluated without reranking; to rerank it, give it as --run \(path)")
        }
    }

    func run() async throws {
        let qr = try reportingErrors { try Qrels(path: qrels) }
        guard let k = rerank ?? (judge.paper && index != nil ? 100 : nil) else {
            guard let path = runFile else { throw ValidationError("give a run file, or --index, --queries and --rerank K") }
            let run = try reportingErrors { try Run(trecPath: path) }
            try reportingErrors { try requireSharedQueries((path, run.queryOrder), (qrels, Array(qr.judgments.keys))) }
            report(Evaluation(run: run, qrels: qr), label: nil)
            return
        }
        guard let index, let queries else { throw ValidationError("--rerank needs --index and --queries") }
        let reader = try reportingErrors { try IndexReader(directory: index) }
        let searcher = try reportingErrors { try Searcher(index: reader) }
        let all = try reportingErrors { try readQueries(queries) }
        try reportingErrors { try requireSharedQueries((queries, all.map(\.id)), (qrels, Array(qr.judgments.keys))) }
        var qs = all.filter { !qr.relevant($0.id).isEmpty }
        // A given first stage: its candidates, looked up in the index by id before anything is judged.
        var given: [String: [RerankEvaluation.Candidate]]?
        if let path = firstStage {
            let run = try reportingErrors { try Run(path: path) }
            qs = qs.filter { run.results[$0.id] != nil }
            guard !qs.isEmpty else { throw ValidationError("\(path): no query of \(queries) with judgments is in the run") }
            let found = try candidatesInIndex(
                run, path: path, queries: qs.prefix(maxQueries ?? qs.count).map(\.id), reader: reader,
                index: index, skipMissing: skipMissing)
            given = found
        }
        if let n = maxQueries { qs = Array(qs.prefix(n)) }
        let engine = try modelOptions.makeReranker()
        let choice = try judge.choice(automatic: try await prepared(engine))
        let profile = choice.profile
        let fusion = try judge.fusion(profile: profile)
        // The paper's prompt for a known collection (named by the queries' folder), unless one was given.
        var instruction = try judge.instructionTemplate()
        var instructionName =
            instruction == nil ? "none (the bare query)" : judge.preset ?? (judge.instruction != nil ? "--instruction" : "the config's preset")
        let collection = ((queries as NSString).deletingLastPathComponent as NSString).lastPathComponent
        if judge.paper && instruction == nil, let task = Presets.paperTask(collection: collection),
            let (key, text) = try Presets.paper().prompt(task: task.task, subtask: task.subtask)
        {
            instruction = text
            instructionName = "the paper's \(key) prompt"
        }
        if !json {
            printError("rank1: profile \(profile.name) (\(choice.reason)); instruction: \(instructionName)")
            if choice.rank1Shaped == false { printError(notRank1Notice) }
        }
        // Every judgment goes to the journal as it is made; the same command after a crash continues from it.
        // Judging settings, read once (a preset is a file): each query's request is a copy with its passages.
        var settings = try judge.request(query: "", passages: [], automatic: profile, inProcess: engine is LlamaReranker)
        settings.profile = profile
        settings.instruction = instruction
        // Early exit is measured, not applied, and is not a judging setting: every chain runs to its end with probes,
        // and the rule is applied to the journal's trajectories when the report is made (both rankings and the
        // tokens saved are known, and another rule on the same --out needs no judging again).
        let rule = settings.earlyExit
        if rule != nil { settings.probe = true }
        settings.earlyExit = nil
        // The journal's settings: the judgment's identity (every setting of the request, the judge by content and its
        // threads; direct verdicts and probes among them, since a journal without them cannot give their runs), and
        // what the evaluation adds (the instruction, the depth, the index).
        var journalSettings = engine.identity(settings, profile: profile).journalSettings
        journalSettings["instruction"] = instruction ?? ""
        journalSettings["rerank"] = "\(k)"
        journalSettings["index"] = "\(reader.path) (\(reader.documentCount) documents)"
        let journal = try reportingErrors { try JudgmentJournal(directory: out, settings: journalSettings) }
        let resumed = journal.judged.values.reduce(0) { $0 + $1.count }
        if let gone = journal.tookOverFrom {
            printError("rank1: \(out) was locked by process \(gone), which is gone (killed?); its lock is taken over")
        }
        if resumed > 0 || journal.tornBytes > 0 {  // stderr: with --json too
            printError(
                "rank1: resuming from \(journal.path): \(resumed) judgments kept, \(journal.failedEarlier) failed ones judged again"
                    + (journal.tornBytes > 0 ? "; a torn last line (\(journal.tornBytes) bytes, the interrupted write) was dropped" : ""))
        }
        let evaluation = RerankEvaluation(
            reader: reader, searcher: searcher, given: given, k: k, settings: settings, earlyExit: rule, engine: engine, journal: journal,
            fusion: fusion)
        let started = monotonicSeconds()
        let progress = Progress(started: started)
        for q in qs {
            try await reportingAsyncErrors {
                try await evaluation.add(
                    query: q.id, text: q.text,
                    onEvent: { e, top in
                        if case .failed(let i, let reason) = e { printError("\(q.id) \(top[i].id): \(reason)") }
                        if case .restarted(let i, _, let reason) = e { printError("\(q.id) \(top[i].id): \(reason)") }
                        if case .endpoint(let name, let up, let reason) = e {
                            printError("rank1: " + RerankEvent.endpointChange(name, up: up, reason: reason))
                        }
                    })
            }
            let t = evaluation.totals
            if !quiet {
                progress.update(
                    queries: t.queries, of: qs.count, passages: t.passages, of: qs.count * k, tokens: t.decodedTokens, failures: t.failures.count)
            }
        }
        if !quiet { progress.finish() }
        journal.close()
        let t = evaluation.totals
        let failures = t.failures
        try evaluation.write(to: out, partial: failures.count > allowFailures)
        // A reranked metric that silently holds unjudged passages would be BM25's order passed off as Rank1's.
        if failures.count > allowFailures {
            printError(
                "rank1: \(failures.count) judgments failed (allowed: \(allowFailures)); no reranked metric is reported "
                    + "(\(out)/reranked.partial.trec keeps their passages in BM25 order; the same command judges them again). First: "
                    + failures.prefix(3).joined(separator: "; "))
            throw ExitCode(ExitCodes.judgmentsFailed)
        }
        let before = Evaluation(run: evaluation.firstStage, qrels: qr)
        let after = Evaluation(run: evaluation.reranked, qrels: qr)
        let fused = fusion.map { _ in Evaluation(run: evaluation.fused, qrels: qr) }
        let early = rule.map { _ in Evaluation(run: evaluation.earlyExit, qrels: qr) }
        let direct = settings.direct ? Evaluation(run: evaluation.direct, qrels: qr) : nil
        let saved = t.tokensWithoutExit == 0 ? 0 : 1 - Double(t.tokensWithExit) / Double(t.tokensWithoutExit)
        let medianTokens = t.chainTokens.isEmpty ? 0 : median(t.chainTokens.map(Double.init))
        let repetitiveShare = t.chainTokens.isEmpty ? 0 : Double(t.repetitive) / Double(t.chainTokens.count)
        let secondsPerPassage = t.judgedPassages == 0 ? 0 : t.judgedSeconds / Double(t.judgedPassages)
        if json {
            let summary = EvalSummary(
                queries: before.queries, rerank: k, bm25Ndcg10: before.ndcg10, rerankedNdcg10: after.ndcg10, bm25Mrr10: before.mrr10,
                rerankedMrr10: after.mrr10, fusedNdcg10: fused?.ndcg10, fusedMrr10: fused?.mrr10, fusionWeight: fusion?.weight,
                profile: profile.name, medianReasoningTokens: medianTokens, repetitiveShare: repetitiveShare, stoppedRepeating: t.stopped,
                secondsPerPassage: secondsPerPassage, model: engine.modelName, earlyExitNdcg10: early?.ndcg10,
                earlyExits: early.map { _ in t.exits }, earlyExitTokensSaved: early.map { _ in saved }, directNdcg10: direct?.ndcg10,
                directMrr10: direct?.mrr10, directVerdicts: direct.map { _ in t.directs }, flips: direct.map { _ in t.flips })
            print(EventJSON.line(summary))
        } else {
            if !failures.isEmpty {
                print("\(failures.count) judgments failed (allowed by --allow-failures); their passages keep BM25 order below the judged")
            }
            print(String(format: "%d queries, %d passages judged in %.0f s", qs.count, t.passages, monotonicSeconds() - started))
            print("model \(engine.modelName), profile \(profile.name), BM25 top \(k) reranked, \(before.queries) queries; runs and traces in \(out)/")
            let fleet = try modelOptions.chosen().endpoints
            if fleet.count > 1 {
                print("served: " + fleet.map { "\($0) \(t.served[$0] ?? 0)" }.joined(separator: "; "))
            }
            report(before, label: given == nil ? "BM25" : "First")
            if let direct {
                report(direct, label: "Direct")
                print(
                    "       (direct: the verdict with no reasoning, in direct.trec; \(t.directs) of \(t.chainTokens.count) judged pairs have one; "
                        + "reasoning moved \(t.flips) of them across 0.5)")
            }
            report(after, label: "Rank1")
            if let fused, let fusion {
                report(fused, label: "Fused")
                print("       (\(fusion.label))")
            }
            if let early, let rule {
                print(
                    String(
                        format: "early exit %g,%d (measured: every chain also ran to its end): %d of %d chains would stop early; "
                            + "reasoning tokens %d → %d (%.1f%% saved); nDCG@10 %.4f → %.4f (%+.4f); ranking in early-exit.trec",
                        rule.threshold, rule.count, t.exits, t.chainTokens.count, t.tokensWithoutExit, t.tokensWithExit, saved * 100,
                        after.ndcg10, early.ndcg10, early.ndcg10 - after.ndcg10))
            }
            if t.fallbacks > 0 {
                print("\(t.fallbacks) verdicts are the fallback 0.5: the server gave neither \" true\" nor \" false\" (traces.jsonl marks them)")
            }
            print(
                String(
                    format: "reasoning: median %.0f tokens, %.1f%% of chains repeat themselves (%d stopped by the guard); %.2f s per passage",
                    medianTokens, repetitiveShare * 100, t.stopped, secondsPerPassage))
        }
    }

    func report(_ e: Evaluation, label: String?) {
        if json && label == nil {
            print(EventJSON.line(Metrics(queries: e.queries, ndcg10: e.ndcg10, recall100: e.recall100, mrr10: e.mrr10, map: e.map)))
            return
        }
        if let l = label {
            print(String(format: "%-6@ nDCG@10 %.4f  MRR@10 %.4f  Recall@100 %.4f  MAP %.4f", l, e.ndcg10, e.mrr10, e.recall100, e.map))
        } else {
            print("queries     \(e.queries)")
            print(String(format: "nDCG@10     %.4f\nRecall@100  %.4f\nMRR@10      %.4f\nMAP         %.4f", e.ndcg10, e.recall100, e.mrr10, e.map))
        }
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
    /// With direct verdicts: the ranking by them (no reasoning), how many pairs have one, how many reasoning flipped.
    let directNdcg10: Double?, directMrr10: Double?, directVerdicts: Int?, flips: Int?
    enum CodingKeys: String, CodingKey {
        case queries, rerank, profile, model, flips
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
    }
}
