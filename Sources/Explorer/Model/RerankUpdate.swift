import Rerank

/// Rerank jobs: starting one, applying the engine's events, keeping the selection while rows move, τ.
extension Explorer {
    static func startRerank(_ s: inout ExplorerState) -> [Effect] {
        guard s.rerankAvailable else {
            s.message = "reranking is off: \(s.backend)"
            s.messageIsError = true
            return []
        }
        guard !s.results.isEmpty else {
            s.message = "nothing to rerank: type a query first (/)"
            return []
        }
        s.generation += 1
        let top = Array(s.results.indices.prefix(s.k))
        for i in s.results.indices {
            s.results[i].judgment = top.contains(i) ? .queued : .none
            s.results[i].reasoning = ""
        }
        s.job = JobProgress(generation: s.generation, total: top.count, startedAt: s.now)
        s.tau = nil
        s.selected = 0
        s.reasoningStep = 0
        s.followStream = true
        let passages = top.map { Passage(id: s.results[$0].id, title: s.results[$0].title, text: s.results[$0].text) }
        return [
            .rerank(
                generation: s.generation, query: s.searchedQuery, instruction: s.instruction.isEmpty ? nil : s.instruction,
                passages: passages)
        ]
    }

    static func applyEngine(_ s: inout ExplorerState, _ event: RerankEvent) {
        switch event {
        case .started(let p, let truncated):
            guard p < s.results.count else { return }
            s.results[p].judgment = .judging
            s.results[p].truncated = truncated
        case .token(let p, let text):
            guard p < s.results.count else { return }
            s.results[p].reasoning += text
            s.job?.tokens += 1
        case .restarted(let p, let reasoning, _):
            guard p < s.results.count else { return }
            s.results[p].reasoning = reasoning
        case .verdict(let v):
            guard v.passage < s.results.count else { return }
            s.results[v.passage].judgment = .done(v)
            s.results[v.passage].reasoning = v.reasoning
            s.job?.judged += 1
        case .failed(let p, let reason):
            guard p < s.results.count else { return }
            s.results[p].judgment = .failed(reason)
            s.job?.judged += 1
        case .endpoint(let name, let up, let reason):
            s.message = "endpoint \(name) \(up ? "back in service" : "taken out"): \(reason)"
            s.messageIsError = !up
        case .finished(let stats):
            s.job?.finished = true
            s.job?.tokensPerSecond = stats.decodeTokensPerSecond
            s.job?.tokens = stats.decodeTokens
            s.tau = kendallTau(s)
        }
        let now = s.now
        if let job = s.job, job.startedAt > 0, now > job.startedAt, !job.finished {
            s.job?.tokensPerSecond = Double(job.tokens) / (now - job.startedAt)
        }
    }

    /// Keeps the selected passage selected while the ranking reorders.
    static func keepSelection(_ s: inout ExplorerState, _ change: (inout ExplorerState) -> Void) {
        let id = s.selectedRow?.id
        change(&s)
        if let id, let row = s.results.firstIndex(where: { $0.id == id }), let pos = s.ranking.firstIndex(of: row) {
            s.selected = pos
        }
        if s.followStream {
            s.reasoningStep = Int.max
            clampStep(&s)
        }
    }

    /// Kendall's τ between the previous instruction's ranking and the current one, over shared ids.
    public static func kendallTau(_ s: ExplorerState) -> Double? {
        guard !s.previousRanking.isEmpty else { return nil }
        let current = s.ranking.filter { s.results[$0].judgment.verdict != nil }.map { s.results[$0].id }
        let common = current.filter { s.previousRanking.contains($0) }
        guard common.count >= 2 else { return nil }
        let prev = Dictionary(uniqueKeysWithValues: s.previousRanking.enumerated().map { ($1, $0) })
        var concordant = 0
        var discordant = 0
        for i in 0..<common.count {
            for j in (i + 1)..<common.count {
                if prev[common[i]]! < prev[common[j]]! { concordant += 1 } else { discordant += 1 }
            }
        }
        return Double(concordant - discordant) / Double(concordant + discordant)
    }
}
