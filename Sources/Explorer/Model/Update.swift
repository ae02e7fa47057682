import Rerank

/// The explorer's only place where state changes: state + message → new state and effects.
public enum Explorer {
    public static func update(_ state: inout ExplorerState, _ message: Message) -> [Effect] {
        switch message {
        case .resize(let w, let h):
            state.width = w
            state.height = h
            return []
        case .tick(let now):
            state.now = now
            // The spinner turns ten times a second, whatever the loop's rate.
            if let job = state.job, !job.finished, !job.cancelled { state.spinner = Int(now * 10) }
            return []
        case .searched(let query, let rows, let ms):
            state.results = rows
            if let q = state.currentQuery, q.text == query {
                for i in state.results.indices { state.results[i].relevant = q.relevant[state.results[i].id] }
            } else {
                state.currentQuery = nil
            }
            state.searchedQuery = query
            state.firstStage =
                state.runs.flatMap { runs in
                    state.runQuery.flatMap {
                        runs.names.count == 1 && runs.queries[$0].text == query && state.candidatesPending ? runs.names[0] : nil
                    }
                } ?? "BM25"
            state.candidatesPending = false
            state.bm25Milliseconds = ms
            state.selected = 0
            state.passageScroll = 0
            state.reasoningStep = 0
            state.previousRanking = []
            state.previousInstruction = nil
            let wasRunning = state.job.map { !$0.finished && !$0.cancelled } ?? false
            state.job = nil
            var effects: [Effect] = wasRunning ? [.cancelRerank] : []
            if state.rerankAfterSearch {
                state.rerankAfterSearch = false
                effects += startRerank(&state)
            }
            return effects
        case .engine(let generation, let event):
            guard generation == state.generation, state.job != nil else { return [] }  // a superseded job
            keepSelection(&state) { applyEngine(&$0, event) }
            return []
        case .paste(let text):
            switch state.mode {
            case .editingQuery:
                insert(&state.query, &state.queryCursor, text.replacingNewlines(with: " "))
                return [.search(query: state.query, k: state.k)]
            case .editingInstruction:
                insert(&state.instructionDraft, &state.instructionCursor, text)
            default: break
            }
            return []
        case .wheel(let up):
            return handleKey(&state, up ? .up : .down)
        case .click(let x, let y):
            return click(&state, x: x, y: y)
        case .key(let key):
            return handleKey(&state, key)
        case .sideBySide(let query, let columns):
            showSideBySide(&state, query: query, columns: columns)
            return []
        }
    }

    // MARK: keys

    static func handleKey(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        // Ctrl-C quits from anywhere, whatever the key map says.
        if key == .ctrl("c") {
            s.quit = true
            return [.quit]
        }
        // Esc and a key typed right after it arrive as one Alt+key; unless Alt+key is bound here, they are
        // those two keys.
        if case .alt(let c) = key, s.keyMap.action(for: key, in: context(s.mode)) == nil {
            return handleKey(&s, .escape) + handleKey(&s, .char(c))
        }
        switch s.mode {
        case .help:
            switch s.keyMap.action(for: key, in: .help) {
            case .up: s.helpScroll = max(0, s.helpScroll - 1)
            case .down: s.helpScroll = min(s.helpScroll + 1, View.helpMaxScroll(s))
            case .pageUp: s.helpScroll = max(0, s.helpScroll - 10)
            case .pageDown: s.helpScroll = min(s.helpScroll + 10, View.helpMaxScroll(s))
            default:  // any other key closes
                s.helpScroll = 0
                s.mode = s.runQuery != nil && s.runs?.names.count == 2 ? .sideBySide : .browse
            }
            return []
        case .pickingRunQuery:
            return pickRunQuery(&s, key)
        case .sideBySide:
            return sideBySideKey(&s, key)
        case .comparing:
            if s.keyMap.action(for: key, in: .abView) == .close { s.mode = .browse }
            return []
        case .pickingQuery:
            return pickQuery(&s, key)
        case .editingQuery:
            return editQuery(&s, key)
        case .editingInstruction:
            return editInstruction(&s, key)
        case .browse:
            return browse(&s, key)
        }
    }

    /// The key map's context of a mode.
    static func context(_ mode: Mode) -> KeyContext {
        switch mode {
        case .browse: .browse
        case .editingQuery: .queryEditor
        case .editingInstruction: .instructionEditor
        case .help: .help
        case .comparing: .abView
        case .pickingQuery, .pickingRunQuery: .list
        case .sideBySide: .sideBySide
        }
    }

    /// Moves a list selection by a list-context action; true when the action was a move.
    static func moveInList(_ selection: inout Int, count n: Int, _ action: Action?) -> Bool {
        switch action {
        case .up: selection = max(0, selection - 1)
        case .down: selection = max(0, min(n - 1, selection + 1))
        case .pageUp: selection = max(0, selection - 10)
        case .pageDown: selection = max(0, min(n - 1, selection + 10))
        case .top: selection = 0
        case .bottom: selection = max(0, n - 1)
        default: return false
        }
        return true
    }

    static func browse(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        s.message = nil
        s.messageIsError = false
        guard let action = s.keyMap.action(for: key, in: .browse) else { return [] }
        switch action {
        case .quit:
            s.quit = true
            return [.quit]
        case .help:
            s.mode = .help
        case .editQuery:
            s.mode = .editingQuery
            s.queryCursor = s.query.count
        case .editInstruction:
            s.mode = .editingInstruction
            s.instructionDraft = s.instruction
            s.instructionCursor = s.instructionDraft.count
        case .compare:
            if s.previousRanking.isEmpty {
                s.message =
                    "A/B needs two instructions: rerank, edit the instruction (\(s.keyMap.label(.editInstruction, in: .browse))), rerank again"
            } else {
                s.mode = .comparing
            }
        case .pickQuery:
            if s.runs != nil {
                s.mode = .pickingRunQuery
            } else if s.collectionQueries.isEmpty {
                s.message = "no query list: open a run (--run FILE) or a collection (--collection DIR)"
            } else {
                s.mode = .pickingQuery
            }
        case .nextQuery: return stepQuery(&s, 1)
        case .previousQuery: return stepQuery(&s, -1)
        case .rerank:
            return startRerank(&s)
        case .cancel:
            if let job = s.job, !job.finished, !job.cancelled {
                s.job?.cancelled = true
                for i in s.results.indices where s.results[i].judgment == .queued || s.results[i].judgment == .judging {
                    s.results[i].judgment = .none
                }
                s.message = "reranking cancelled"
                return [.cancelRerank]
            }
        case .nextPane:
            s.focus = Pane(rawValue: (s.focus.rawValue + 1) % Pane.allCases.count)!
        case .previousPane:
            s.focus = Pane(rawValue: (s.focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!
        case .up: move(&s, -1)
        case .down: move(&s, 1)
        case .pageUp: move(&s, -10)
        case .pageDown: move(&s, 10)
        case .top: move(&s, -100_000)
        case .bottom: move(&s, 100_000)
        case .nextStep:
            s.followStream = false
            s.reasoningStep += 1
            clampStep(&s)
        case .previousStep:
            s.followStream = false
            s.reasoningStep = max(0, s.reasoningStep - 1)
        case .verdict:
            // Jump to the verdict: the last step, and follow the stream again.
            s.followStream = true
            s.reasoningStep = Int.max
            clampStep(&s)
        case .more, .fewer:
            s.k = action == .more ? min(s.k + 5, 100) : max(s.k - 5, 5)
            s.message = "rerank top \(s.k)"
            if s.firstStage != "BM25" { return [] }  // a run's candidates are all listed already
            if !s.searchedQuery.isEmpty { return [.search(query: s.searchedQuery, k: s.k)] }
        default: break  // actions of other contexts are never bound here (the key map checks)
        }
        return []
    }

    static func move(_ s: inout ExplorerState, _ delta: Int) {
        switch s.focus {
        case .results:
            let n = s.results.count
            guard n > 0 else { return }
            s.selected = min(max(s.selected + delta, 0), n - 1)
            s.passageScroll = 0
            s.reasoningStep = 0
            s.followStream = true
        case .passage:
            s.passageScroll = max(0, s.passageScroll + delta)
        case .reasoning:
            s.followStream = false
            s.reasoningStep = max(0, s.reasoningStep + delta)
            clampStep(&s)
        }
    }

    static func clampStep(_ s: inout ExplorerState) {
        let steps = Sentences.split(s.selectedRow?.reasoning ?? "").count
        s.reasoningStep = min(s.reasoningStep, max(steps - 1, 0))
    }

    static func pickQuery(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        let n = s.collectionQueries.count
        let action = s.keyMap.action(for: key, in: .list)
        if moveInList(&s.pickerSelection, count: n, action) { return [] }
        switch action {
        case .close: s.mode = .browse
        case .open: return openCollectionQuery(&s, s.pickerSelection)
        default: break
        }
        return []
    }

    /// Searches query `i` of the collection; its judgments mark the results.
    static func openCollectionQuery(_ s: inout ExplorerState, _ i: Int) -> [Effect] {
        guard s.collectionQueries.indices.contains(i) else { return [] }
        let q = s.collectionQueries[i]
        s.pickerSelection = i
        s.currentQuery = q
        s.query = q.text
        s.queryCursor = q.text.count
        s.mode = .browse
        return [.search(query: q.text, k: s.k)]
    }

    static func editQuery(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        let action = s.keyMap.action(for: key, in: .queryEditor)
        switch action {
        case .close:
            s.mode = .browse
            return []
        case .apply:
            s.mode = .browse
            s.rerankAfterSearch = s.rerankAvailable
            if !s.rerankAvailable { s.message = "reranking is off: \(s.backend)" }
            return [.search(query: s.query, k: s.k)]
        default:
            if editLine(&s.query, &s.queryCursor, key, action) { return [.search(query: s.query, k: s.k)] }
            return []
        }
    }

    static func editInstruction(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        let action = s.keyMap.action(for: key, in: .instructionEditor)
        switch action {
        case .close:
            s.mode = .browse
            s.message = "instruction unchanged"
        case .apply:
            let draft = s.instructionDraft.trimmingWhitespace()
            if !draft.isEmpty, let problem = Rank1Prompt.validate(instruction: draft) {
                s.message = "invalid instruction: \(problem)"
                s.messageIsError = true
                return []
            }
            s.messageIsError = false
            // The judged passages' order under the current instruction becomes the diff's baseline.
            let judged = s.ranking.filter { s.results[$0].judgment.verdict != nil }.map { s.results[$0].id }
            if !judged.isEmpty {
                s.previousRanking = judged
                s.previousInstruction = s.instruction
            }
            if !s.instruction.isEmpty, s.instructionHistory.last != s.instruction { s.instructionHistory.append(s.instruction) }
            s.instruction = draft
            s.mode = .browse
            return startRerank(&s)
        case .nextPreset:
            guard !s.presets.isEmpty else {
                s.message = "no presets in Assets/presets"
                return []
            }
            let names = s.presets.map(\.template)
            let next = ((names.firstIndex(of: s.instructionDraft) ?? -1) + 1) % names.count
            s.instructionDraft = s.presets[next].template
            s.instructionCursor = s.instructionDraft.count
            s.message = "preset \(s.presets[next].name)"
        case .history:
            guard !s.instructionHistory.isEmpty else {
                s.message = "no earlier instructions"
                return []
            }
            let i =
                ((s.instructionHistory.lastIndex(of: s.instructionDraft) ?? s.instructionHistory.count) - 1 + s.instructionHistory.count)
                % s.instructionHistory.count
            s.instructionDraft = s.instructionHistory[i]
            s.instructionCursor = s.instructionDraft.count
        case .clear:
            s.instructionDraft = ""
            s.instructionCursor = 0
        default:
            _ = editLine(&s.instructionDraft, &s.instructionCursor, key, action)
        }
        return []
    }

    /// Line editing by an editor action, or a typed character when the key has none; true when the text changed.
    static func editLine(_ text: inout String, _ cursor: inout Int, _ key: Key, _ action: Action?) -> Bool {
        cursor = min(max(cursor, 0), text.count)
        switch action {
        case nil:
            guard case .char(let c) = key else { return false }
            insert(&text, &cursor, String(c))
            return true
        case .newline?:
            insert(&text, &cursor, "\n")
            return true
        case .deleteBack?:
            guard cursor > 0 else { return false }
            text.remove(at: text.index(text.startIndex, offsetBy: cursor - 1))
            cursor -= 1
            return true
        case .deleteForward?:
            guard cursor < text.count else { return false }
            text.remove(at: text.index(text.startIndex, offsetBy: cursor))
            return true
        case .left?: cursor = max(0, cursor - 1)
        case .right?: cursor = min(text.count, cursor + 1)
        case .lineStart?: cursor = 0
        case .lineEnd?: cursor = text.count
        case .deleteToStart?:
            text.removeSubrange(text.startIndex..<text.index(text.startIndex, offsetBy: cursor))
            cursor = 0
            return true
        case .deleteWord?:
            let before = text.prefix(cursor)
            let trimmed = before.dropLast(before.reversed().prefix(while: { $0 == " " }).count)
            let keep = trimmed.dropLast(trimmed.reversed().prefix(while: { $0 != " " }).count)
            text = String(keep) + text.dropFirst(cursor)
            cursor = keep.count
            return true
        default: break
        }
        return false
    }

    static func insert(_ text: inout String, _ cursor: inout Int, _ piece: String) {
        cursor = min(max(cursor, 0), text.count)
        text.insert(contentsOf: piece, at: text.index(text.startIndex, offsetBy: cursor))
        cursor += piece.count
    }

    // MARK: reranking

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

    static func click(_ s: inout ExplorerState, x: Int, y: Int) -> [Effect] {
        let layout = Layout(width: s.width, height: s.height)
        if layout.results.contains(x: x, y: y) {
            s.focus = .results
            let row = y - layout.results.y - 1 + layout.firstVisible(selected: s.selected, count: s.results.count)
            if row >= 0 && row < s.results.count {
                s.selected = row
                s.passageScroll = 0
                s.reasoningStep = 0
            }
        } else if layout.passage.contains(x: x, y: y) {
            s.focus = .passage
        } else if layout.reasoning.contains(x: x, y: y) {
            s.focus = .reasoning
        } else if y == 0 {
            s.mode = .editingQuery
            s.queryCursor = s.query.count
        }
        return []
    }
}

extension String {
    func replacingNewlines(with r: String) -> String {
        String(map { $0 == "\n" || $0 == "\r" ? Character(r) : $0 })
    }

}
