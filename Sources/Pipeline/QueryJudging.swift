import Rerank

/// One query's candidates judged for an evaluation, resuming from its journal: judgments the journal holds are
/// kept, the others are asked of the engine and each is appended to the journal the moment it is made (so a kill
/// loses at most the one being written). Failures are recorded too, and judged again on the next resume.
public struct QueryJudging {
    /// Per candidate (by its index in `passages`): its judgment, when there is one.
    public var entries: [Int: JudgmentJournal.Entry] = [:]
    /// "qid docid: reason" of each failed judgment.
    public var failures: [String] = []
    /// The engine's statistics for this query (nil when the journal held every judgment).
    public var stats: JobStats?

    /// `settings`: the judging request every query starts from; `onEvent` sees every engine event (progress,
    /// failures, endpoint changes) as it happens, its passage numbers those of `passages`.
    public static func run(
        query: (id: String, text: String), passages: [Passage], settings: RerankRequest, engine: any Reranker,
        journal: JudgmentJournal, onEvent: (RerankEvent) -> Void = { _ in }
    ) async throws -> QueryJudging {
        var out = QueryJudging()
        for (i, p) in passages.enumerated() { out.entries[i] = journal.judged[query.id]?[p.id] }
        let todo = passages.indices.filter { out.entries[$0] == nil }
        guard !todo.isEmpty else { return out }
        var request = settings
        request.query = query.text
        request.passages = todo.map { passages[$0] }
        var failed = Set<Int>()
        for await event in engine.start(request) {
            let e = remapped(event, todo)
            onEvent(e)
            switch e {
            case .verdict(let v):
                let p = v.passage
                var entry = JudgmentJournal.Entry(
                    query: query.id, doc: passages[p].id, status: "judged", score: v.score, pTrue: v.probabilityTrue,
                    tokens: v.reasoningTokens, forcedClose: v.forcedClose, repetitive: v.repetitive,
                    stoppedRepeating: v.stoppedRepeating, seconds: v.seconds, reasoning: v.reasoning, reason: nil,
                    settings: journal.settingsHash)
                if !v.trajectory.isEmpty { entry.trajectory = v.trajectory.map { [Double($0.tokens), $0.score] } }
                entry.direct = v.direct?.score
                entry.directPTrue = v.direct?.probabilityTrue
                if v.fallback { entry.fallback = true }
                try journal.append(entry)
                out.entries[p] = entry
            case .failed(let p, let reason):
                failed.insert(p)
                out.failures.append("\(query.id) \(passages[p].id): \(reason)")
                try journal.append(
                    JudgmentJournal.Entry(query: query.id, doc: passages[p].id, status: "failed", reason: reason, settings: journal.settingsHash))
            case .finished(let stats):
                out.stats = stats
            default: break
            }
        }
        // A passage that got neither a verdict nor a failure (a stream that ended early) is a failure, so it counts
        // against --allow-failures instead of keeping its BM25 place unnoticed.
        for p in todo where out.entries[p] == nil && !failed.contains(p) {
            out.failures.append("\(query.id) \(passages[p].id): no verdict came (the judging stopped before it)")
        }
        return out
    }

    /// An event of the request (whose passages are `todo`) with the passage numbers of the whole candidate list.
    static func remapped(_ e: RerankEvent, _ todo: [Int]) -> RerankEvent {
        switch e {
        case .started(let p, let truncated): return .started(passage: todo[p], truncated: truncated)
        case .token(let p, let text): return .token(passage: todo[p], text: text)
        case .restarted(let p, let reasoning, let reason): return .restarted(passage: todo[p], reasoning: reasoning, reason: reason)
        case .probe(let p, let probe): return .probe(passage: todo[p], probe)
        case .direct(let p, let d): return .direct(passage: todo[p], d)
        case .verdict(var v):
            v.passage = todo[v.passage]
            return .verdict(v)
        case .failed(let p, let reason): return .failed(passage: todo[p], reason: reason)
        case .endpoint, .finished: return e
        }
    }
}
