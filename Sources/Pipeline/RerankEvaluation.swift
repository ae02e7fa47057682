import Foundation
import Rerank
import Retrieval

/// The evaluation pipeline of `rank1 eval --rerank K`: per query, the first stage (our BM25 top 100 or a given
/// run's candidates), its top K judged through the journal (`QueryJudging`), and the runs that result: the first
/// stage, the reranked one (judged by score, unjudged after them in first-stage order, then the rest of the first
/// stage) and, with fusion, the fused one; the traces of every judgment; counts for the summary.
public final class RerankEvaluation {
    /// A run's candidates of one query, looked up in the index: document number, id, score.
    public typealias Candidate = (doc: Int, id: String, score: Double)

    public struct Totals {
        public var queries = 0
        public var passages = 0
        public var decodedTokens = 0
        /// Reasoning tokens of each judged chain, and how many chains repeated themselves or were stopped for it.
        public var chainTokens: [Int] = []
        public var repetitive = 0
        public var stopped = 0
        /// Engine time and passages of the judgments made by this run (not the journal's or the cache's).
        public var judgedSeconds = 0.0
        public var judgedPassages = 0
        /// Verdicts per endpoint of a fleet.
        public var served: [String: Int] = [:]
        /// "qid docid: reason" of each failed judgment.
        public var failures: [String] = []
        /// Early exit measured (the `earlyExit` rule applied to each trajectory): chains it would have stopped, and the
        /// reasoning tokens of every judged chain with and without it.
        public var exits = 0
        public var tokensWithExit = 0
        public var tokensWithoutExit = 0
        /// Judged pairs with a direct verdict, and those whose reasoning moved the verdict across 0.5.
        public var directs = 0
        public var flips = 0
        /// Verdicts that are the fallback 0.5 (the server gave neither " true" nor " false").
        public var fallbacks = 0
        /// Every judged pair's verdicts, for `VerdictCalibration` against the qrels.
        public var pairs: [VerdictCalibration.Pair] = []
        /// Each chain's share of claiming sentences with support (`Attribution.grounded`; chains making no claim left out).
        public var grounded: [Double] = []
    }

    private let reader: IndexReader
    private let searcher: Searcher
    private let given: [String: [Candidate]]?
    private let k: Int
    private let settings: RerankRequest
    private let earlyExitRule: EarlyExit?
    private let engine: any Reranker
    private let journal: JudgmentJournal
    private let fusion: ScoreFusion?

    public private(set) var firstStage = Run()
    public private(set) var reranked = Run()
    public private(set) var fused = Run()
    /// The ranking by direct verdicts (no reasoning), when the judging computed them.
    public private(set) var direct = Run()
    private var directLines = ""
    /// With early exit measured: the reranking by the scores where it would have stopped each chain.
    public private(set) var earlyExit = Run()
    private var earlyExitLines = ""
    public private(set) var totals = Totals()
    private var firstStageLines: [UInt8] = []
    private var rerankedLines = ""
    private var fusedLines = ""
    private var traces = ""

    /// `given`: the candidates of a first-stage run by query (nil: BM25's top 100 from `searcher`). `earlyExit`: a
    /// rule measured on the trajectories (`settings` must probe), stopping nothing.
    public init(
        reader: IndexReader, searcher: Searcher, given: [String: [Candidate]]?, k: Int, settings: RerankRequest, earlyExit: EarlyExit?,
        engine: any Reranker,
        journal: JudgmentJournal, fusion: ScoreFusion?
    ) {
        self.reader = reader
        self.searcher = searcher
        self.given = given
        self.k = k
        self.settings = settings
        self.earlyExitRule = earlyExit
        self.engine = engine
        self.journal = journal
        self.fusion = fusion
    }

    /// Judges one query and adds it to the runs. `onEvent` sees the engine's events (numbered as the query's
    /// candidates) as they happen.
    public func add(query id: String, text: String, onEvent: (RerankEvent, [Passage]) -> Void = { _, _ in }) async throws {
        // Scores keep their own printed form: BM25's single-precision value, a run file's as given.
        let hits: [(doc: Int, score: Double, printed: String)]
        if let given {
            hits = (given[id] ?? []).map { ($0.doc, $0.score, "\($0.score)") }
        } else {
            let found = try searcher.search(text, k: 100)
            hits = found.map { ($0.doc, Double($0.score), "\($0.score)") }
            try appendTRECLines(found, qid: id, tag: "bm25", reader: reader, to: &firstStageLines)
        }
        let ids = try hits.map { try reader.documentID($0.doc) }
        for (i, h) in hits.enumerated() {
            firstStage.add(query: id, doc: ids[i], score: h.score)
            if given != nil { firstStageLines += Array("\(id) Q0 \(ids[i]) \(i + 1) \(h.printed) first-stage\n".utf8) }
        }
        let top = try Candidates.passages(hits.prefix(k).map(\.doc), in: reader)
        let judging = try await QueryJudging.run(
            query: (id, text), passages: top, settings: settings, engine: engine, journal: journal, onEvent: { onEvent($0, top) })
        totals.failures += judging.failures
        if let stats = judging.stats, stats.cachedVerdicts == 0 {
            totals.judgedSeconds += stats.seconds
            totals.judgedPassages += stats.judged
            for e in stats.endpoints { totals.served[e.endpoint, default: 0] += e.judged }
        }
        var scores: [Int: Double] = [:]
        var directScores: [Int: Double] = [:]
        var exitScores: [Int: Double] = [:]
        for p in top.indices {
            guard let v = judging.entries[p], let score = v.score else { continue }
            scores[p] = score
            totals.pairs.append(VerdictCalibration.Pair(query: id, doc: top[p].id, direct: v.direct, reasoned: score))
            if v.fallback == true { totals.fallbacks += 1 }
            if let d = v.direct {
                directScores[p] = d
                totals.directs += 1
                if (d >= 0.5) != (score >= 0.5) { totals.flips += 1 }
            }
            // Early exit measured: where the rule stops this chain, from its trajectory (any rule, from one judging).
            let probes = (v.trajectory ?? []).enumerated().map { i, p in
                Probe(sentence: i + 1, tokens: Int(p.first ?? 0), characters: 0, score: p.last ?? 0, probabilityTrue: 0)
            }
            let exit = earlyExitRule?.exit(probes)
            exitScores[p] = exit?.score ?? score
            if exit != nil { totals.exits += 1 }
            totals.tokensWithoutExit += v.tokens ?? 0
            totals.tokensWithExit += exit?.tokens ?? v.tokens ?? 0
            totals.chainTokens.append(v.tokens ?? 0)
            if v.repetitive == true { totals.repetitive += 1 }
            if v.stoppedRepeating == true { totals.stopped += 1 }
            let attribution = Attributing.of(chain: v.reasoning ?? "", passage: top[p], query: text, instruction: settings.instruction)
            if let g = attribution.grounded { totals.grounded.append(g) }
            let trace = TraceLine(
                query: id, doc: top[p].id, bm25Rank: p + 1, bm25: Double(hits[p].printed) ?? hits[p].score, score: score,
                tokens: v.tokens ?? 0, forcedClose: v.forcedClose ?? false, repetitive: v.repetitive ?? false,
                stoppedRepeating: v.stoppedRepeating ?? false, reasoning: v.reasoning ?? "", trajectory: v.trajectory,
                exitTokens: exit?.tokens, exitScore: exit?.score, direct: v.direct, fallback: v.fallback, attribution: attribution.spans,
                grounded: attribution.grounded,
                turn: TurningPoint.of(probes, direct: v.direct, final: (v.tokens ?? 0, (v.reasoning ?? "").count, score)).map(EventJSON.Turn.init))
            traces += EventJSON.line(trace) + "\n"
        }
        // Reranked top K (unjudged ones after the judged, first-stage order among equals), then the rest.
        func write(_ key: (Int) -> Double?, to run: inout Run, _ text: inout String, tag: String) {
            let order = RerankedOrder.of(top.count, score: key) + Array(top.count..<hits.count)
            for (rank, i) in order.enumerated() {
                let score = Double(order.count - rank)
                run.add(query: id, doc: ids[i], score: score)
                text += "\(id) Q0 \(ids[i]) \(rank + 1) \(score) \(tag)\n"
            }
        }
        write({ scores[$0] }, to: &reranked, &rerankedLines, tag: "rank1")
        if settings.direct { write({ directScores[$0] }, to: &direct, &directLines, tag: "rank1-direct") }
        if earlyExitRule != nil { write({ exitScores[$0] }, to: &earlyExit, &earlyExitLines, tag: "rank1-early-exit") }
        if let fusion {
            let f = fusion.fuse(bm25: top.indices.map { hits[$0].score }, rank1: top.indices.map { scores[$0] })
            write({ f[$0] }, to: &fused, &fusedLines, tag: "fused")
        }
        totals.queries += 1
        totals.passages += top.count
        totals.decodedTokens += top.indices.reduce(0) { sum, p in sum + (judging.entries[p]?.tokens ?? 0) }
    }

    /// Writes the runs and traces into `directory`: bm25.trec (or first-stage.trec for a given run), reranked.trec,
    /// traces.jsonl, with direct verdicts direct.trec, with fusion fused.trec, and with early exit measured
    /// early-exit.trec. `partial` (judgments failed
    /// past what was allowed) names the reranked runs `….partial.trec`, so a run with unjudged passages in BM25 order
    /// is never taken for Rank1's; the other set of names is removed, so no earlier file is left looking current.
    public func write(to directory: String, partial: Bool = false) throws {
        try Data(firstStageLines).write(
            to: URL(fileURLWithPath: directory + (given == nil ? "/bm25.trec" : "/first-stage.trec")), options: .atomic)
        try traces.write(toFile: directory + "/traces.jsonl", atomically: true, encoding: .utf8)
        let runs: [(name: String, lines: String?)] = [
            ("reranked", rerankedLines), ("fused", fusion != nil ? fusedLines : nil), ("early-exit", earlyExitRule != nil ? earlyExitLines : nil),
            ("direct", settings.direct ? directLines : nil),
        ]
        for (name, lines) in runs {
            let current = directory + "/" + name + (partial ? ".partial" : "") + ".trec"
            let other = directory + "/" + name + (partial ? "" : ".partial") + ".trec"
            if FileManager.default.fileExists(atPath: other) { try FileManager.default.removeItem(atPath: other) }
            if let lines { try lines.write(toFile: current, atomically: true, encoding: .utf8) }
        }
    }
}

/// One judged pair in `traces.jsonl`.
struct TraceLine: Encodable {
    let query: String, doc: String, bm25Rank: Int, bm25: Double, score: Double, tokens: Int, forcedClose: Bool, repetitive: Bool
    let stoppedRepeating: Bool, reasoning: String
    /// With probes: [tokens, score] after each sentence; with early exit measured, where it would have stopped.
    let trajectory: [[Double]]?, exitTokens: Int?, exitScore: Double?
    /// The direct verdict's score (no reasoning), when it was computed; whether the score is the fallback 0.5.
    let direct: Double?, fallback: Bool?
    /// What the chain drew on (README: What the chain drew on) and the share of its sentences with support (absent when
    /// none makes a claim).
    let attribution: [Attribution.Span], grounded: Double?
    /// With probes: where the verdict turned most.
    let turn: EventJSON.Turn?
}
