import Foundation
import Rerank

/// What Rank1 has said about one passage so far.
public enum Judgment: Equatable, Sendable {
    case none, queued, judging
    case done(Verdict)
    case failed(String)

    var verdict: Verdict? { if case .done(let v) = self { v } else { nil } }
}

/// Where a row's current score comes from.
public enum ScoreSource: Equatable, Sendable {
    /// The chain's verdict.
    case reasoned
    /// The direct verdict (no reasoning): provisional until the chain's verdict replaces it.
    case direct
    /// The verdict under the previous instruction: stale until this job scores the row.
    case stale
}

extension ResultRow {
    /// The chain's verdict and the direct one (no reasoning) fall on opposite sides of 0.5.
    public var reasoningFlipped: Bool {
        guard let v = judgment.verdict, let d = direct else { return false }
        return (v.score >= 0.5) != (d.score >= 0.5)
    }

    /// The score the row ranks by now, and where it comes from: the chain's verdict, else the direct verdict, else
    /// the previous instruction's verdict.
    public var currentScore: (score: Double, source: ScoreSource)? {
        if let v = judgment.verdict { return (v.score, .reasoned) }
        if let d = direct { return (d.score, .direct) }
        if let v = stale { return (v.score, .stale) }
        return nil
    }
}

/// One row of the result list: a BM25 hit and its judgment.
public struct ResultRow: Equatable, Sendable {
    public var id: String
    public var title: String
    public var text: String
    public var bm25Score: Float
    /// 0-based BM25 rank.
    public var bm25Rank: Int
    public var judgment: Judgment = .none
    public var reasoning = ""
    /// Verdict probes so far (with probes on): the score after each sentence.
    public var trajectory: [Probe] = []
    /// The direct verdict (no reasoning): the row's provisional score until its chain's verdict comes.
    public var direct: DirectVerdict? = nil
    /// The verdict under the previous instruction, shown (marked stale) until this job gives the row a score.
    public var stale: Verdict? = nil
    public var truncated = false
    public var relevant: Int? = nil
    /// With two judges: the second's judgment (the first's is `judgment`).
    public var second = SecondJudgment()

    public init(id: String, title: String, text: String, bm25Score: Float, bm25Rank: Int) {
        self.id = id
        self.title = title
        self.text = text
        self.bm25Score = bm25Score
        self.bm25Rank = bm25Rank
    }
}

public enum Pane: Int, CaseIterable, Sendable { case results, passage, reasoning }

public enum Mode: Equatable, Sendable {
    case browse
    case editingQuery
    case editingInstruction
    case help
    case comparing
    case pickingQuery
    /// The queries of the opened run files (`runs`).
    case pickingRunQuery
    /// Two runs' rankings of one query side by side.
    case sideBySide
}

/// A query of a test collection with its relevance judgments.
public struct CollectionQuery: Equatable, Sendable {
    public var id: String
    public var text: String
    public var relevant: [String: Int]
    public init(id: String, text: String, relevant: [String: Int]) {
        self.id = id
        self.text = text
        self.relevant = relevant
    }
}

/// A rerank job as the screen tracks it.
public struct JobProgress: Equatable, Sendable {
    public var generation: Int
    public var total: Int
    public var judged = 0
    public var tokens = 0
    public var startedAt: Double
    public var finished = false
    public var cancelled = false
    public var tokensPerSecond: Double = 0
    /// The passages last asked for first (`Effect.prioritize`).
    public var wanted: [Int] = []
}

/// Everything the explorer shows. Changed only by `Explorer.update`.
public struct ExplorerState: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var corpusName: String
    public var corpusSize: Int
    public var modelName: String
    public var backend: String
    public var rerankAvailable: Bool

    public var mode: Mode = .browse
    public var focus: Pane = .results
    public var results: [ResultRow] = []
    public var selected = 0
    public var k = 10

    // The components (Sources/Explorer/Components: each file holds one's state, its update and its view).
    public var queryBar = QueryBar()
    public var editor = InstructionEditor()
    public var details = DetailPanes()
    public var picker = QueryPicker()
    public var comparison = Comparison()
    public var status = StatusLine()
    public var judges = Judges()

    public var job: JobProgress? = nil
    public var generation = 0
    public var spinner = 0
    /// The latest tick's time. Not part of what is drawn, so it does not count as a change (a tick alone
    /// must not trigger a redraw).
    public var now: Double {
        get { clock.value }
        set { clock.value = newValue }
    }
    private var clock = Unrendered(0.0)
    public var quit = false
    /// Loaded from Assets/keymap.json by the app (and the tests); empty, no key does anything.
    public var keyMap = KeyMap()
    /// Lines the help overlay is scrolled by.
    public var helpScroll = 0
    /// How far the divider between the list and the passage pane is moved from its default (Layout keeps it in
    /// bounds), and whether the mouse is dragging it.
    public var split = 0
    public var draggingDivider = false
    /// How the model is asked (shown in the status bar) and the fusion with BM25, if on.
    public var profileName = ""
    /// Why that profile (from the backend's look at the model's vocabulary).
    public var profileReason = ""
    /// Whether the model is shaped like a Rank1 checkpoint (nil: unknown). When false the screen says that its
    /// judgments are illustrative.
    public var rank1Checkpoint: Bool? = nil
    public var fusion: ScoreFusion? = nil

    public init(
        width: Int, height: Int, corpusName: String, corpusSize: Int, modelName: String, backend: String,
        rerankAvailable: Bool
    ) {
        self.width = width
        self.height = height
        self.corpusName = corpusName
        self.corpusSize = corpusSize
        self.modelName = modelName
        self.backend = backend
        self.rerankAvailable = rerankAvailable
    }

    /// Rows in display order: by Rank1 score (or the fused score, with fusion on) once any row has a score (its
    /// verdict, else its direct verdict, else the previous instruction's; unscored after scored, BM25 order among
    /// equals), else BM25 order.
    public var ranking: [Int] {
        if judges.byDisagreement { return disagreementOrder }
        let scores = rankScores
        guard !scores.isEmpty else { return Array(results.indices) }
        return RerankedOrder.of(results.count) { scores[$0] }
    }

    /// The score each scored row ranks by (`ResultRow.currentScore`), or with fusion on, that score interpolated
    /// with BM25 min-max normalised over the rows in the rerank job.
    public var rankScores: [Int: Double] {
        var out: [Int: Double] = [:]
        guard let fusion else {
            for (i, r) in results.enumerated() { if let c = r.currentScore { out[i] = c.score } }
            return out
        }
        let rows = results.indices.filter { results[$0].judgment != .none || results[$0].currentScore != nil }
        let fused = fusion.fuse(bm25: rows.map { Double(results[$0].bm25Score) }, rank1: rows.map { results[$0].currentScore?.score })
        for (i, row) in rows.enumerated() where results[row].currentScore != nil { out[row] = fused[i] }
        return out
    }

    /// nDCG@10 of an order of result rows under the picked query's judgments (nil outside collection mode).
    public func ndcg10(_ order: [Int]) -> Double? {
        guard let q = picker.current, !q.relevant.isEmpty else { return nil }
        var dcg = 0.0
        for (i, row) in order.prefix(10).enumerated() {
            let g = q.relevant[results[row].id] ?? 0
            if g > 0 { dcg += Double(g) / log2(Double(i + 2)) }
        }
        let ideal = q.relevant.values.filter { $0 > 0 }.sorted(by: >).prefix(10).enumerated()
            .reduce(0.0) { $0 + Double($1.element) / log2(Double($1.offset + 2)) }
        return ideal > 0 ? dcg / ideal : 0
    }

    /// Two run files are open (their queries are compared side by side).
    public var twoRuns: Bool { picker.runs?.names.count == 2 }

    /// Where closing the help or a list returns to: the side-by-side view of an opened query of two runs, else
    /// the result list.
    public var homeMode: Mode { picker.runQuery != nil && twoRuns ? .sideBySide : .browse }

    /// The selected row's index in `results`.
    public var selectedIndex: Int? {
        let order = ranking
        return selected < order.count ? order[selected] : nil
    }

    public var selectedRow: ResultRow? { selectedIndex.map { results[$0] } }
}

/// An instruction preset from Assets/presets.
public struct Preset: Equatable, Sendable {
    public var name: String
    public var template: String
    public init(name: String, template: String) {
        self.name = name
        self.template = template
    }
}

/// A value that never makes two states differ.
struct Unrendered<T: Sendable>: Equatable, Sendable {
    var value: T
    init(_ v: T) { value = v }
    static func == (a: Unrendered, b: Unrendered) -> Bool { true }
}
