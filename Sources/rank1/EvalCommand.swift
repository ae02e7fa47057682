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
        let inputs = try EvalInputs.load(
            qrels: qr, qrelsPath: qrels, index: index, queries: queries, firstStage: firstStage, maxQueries: maxQueries, skipMissing: skipMissing)
        let judges = try RerankCommand.twoJudges(modelOptions)
        if !judges.isEmpty {
            try await evaluateTwoJudges(judges, inputs: inputs, qrels: qr, k: k, queries: queries)
            return
        }
        let evaluation = try await evaluate(try modelOptions.makeReranker(), inputs: inputs, qrels: qr, k: k, queries: queries, out: out)
        if json { print(evaluation.json) } else { evaluation.print(label: report) }
    }

    /// One judge's evaluation into `out`: judged through its journal, runs and traces written, the report returned.
    func evaluate(_ engine: any Reranker, inputs: EvalInputs, qrels qr: Qrels, k: Int, queries: String, out: String) async throws -> EvalReport {
        let choice = try judge.choice(automatic: try await prepared(engine))
        let fusion = try judge.fusion(profile: choice.profile)
        let (settings, rule) = try judgingSettings(engine: engine, choice: choice, queries: queries)
        let journal = try openJournal(engine: engine, settings: settings, k: k, reader: inputs.reader, out: out)
        let evaluation = RerankEvaluation(
            reader: inputs.reader, searcher: inputs.searcher, given: inputs.given, k: k, settings: settings, earlyExit: rule,
            engine: engine, journal: journal, fusion: fusion)
        let started = monotonicSeconds()
        try await judgeAll(evaluation, inputs.queries, k: k)
        journal.close()
        let failures = evaluation.totals.failures
        try evaluation.write(to: out, partial: failures.count > allowFailures)
        // A reranked metric that silently holds unjudged passages would be BM25's order passed off as Rank1's.
        if failures.count > allowFailures {
            printError(
                "rank1: \(failures.count) judgments failed (allowed: \(allowFailures)); no reranked metric is reported "
                    + "(\(out)/reranked.partial.trec keeps their passages in BM25 order; the same command judges them again). First: "
                    + failures.prefix(3).joined(separator: "; "))
            throw ExitCode(ExitCodes.judgmentsFailed)
        }
        return EvalReport(
            evaluation: evaluation, qrels: qr, k: k, profile: choice.profile, fusion: fusion, rule: rule, direct: settings.direct,
            model: engine.modelName, firstStageLabel: inputs.given == nil ? "BM25" : "First", out: out,
            seconds: monotonicSeconds() - started, fleet: try modelOptions.chosen().endpoints)
    }

    /// The judging settings every query starts from (read once: a preset is a file), the instruction (the paper's
    /// for a known collection with --settings paper, named by the queries' folder), and the early-exit rule, which
    /// is measured, not applied: every chain runs to its end with probes and the rule is applied to the journal's
    /// trajectories at report time (both rankings and the tokens saved are known, and another rule on the same --out
    /// needs no judging again).
    func judgingSettings(engine: any Reranker, choice: ProfileChoice, queries: String) throws -> (RerankRequest, EarlyExit?) {
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
            printError("rank1: profile \(choice.profile.name) (\(choice.reason)); instruction: \(instructionName)")
            if choice.rank1Shaped == false { printError(notRank1Notice) }
        }
        var settings = try judge.request(query: "", passages: [], automatic: choice.profile, inProcess: engine is LlamaReranker)
        settings.profile = choice.profile
        settings.instruction = instruction
        let rule = settings.earlyExit
        if rule != nil { settings.probe = true }
        settings.earlyExit = nil
        return (settings, rule)
    }

    /// The journal of --out, whose settings are the judgment's identity (every setting of the request, the judge by
    /// content and its threads; direct verdicts and probes among them, since a journal without them cannot give their
    /// runs) and what the evaluation adds (the instruction, the depth, the index). Says what it resumes.
    func openJournal(engine: any Reranker, settings: RerankRequest, k: Int, reader: IndexReader, out: String) throws -> JudgmentJournal {
        var journalSettings = engine.identity(settings, profile: settings.profile ?? .rank1).journalSettings
        journalSettings["instruction"] = settings.instruction ?? ""
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
        return journal
    }

    /// Every query judged in turn; failures, retries and endpoint changes said on stderr as they happen, progress too.
    func judgeAll(_ evaluation: RerankEvaluation, _ qs: [(id: String, text: String)], k: Int) async throws {
        let progress = Progress(started: monotonicSeconds())
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
