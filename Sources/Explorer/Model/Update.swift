import Rerank

/// The explorer's only place where state changes: state + message → new state and effects.
public enum Explorer {
    public static func update(_ state: inout ExplorerState, _ message: Message) -> [Effect] {
        let effects = apply(&state, message)
        return effects + followUser(&state)
    }

    static func apply(_ state: inout ExplorerState, _ message: Message) -> [Effect] {
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
        case .searched(let query, let rows, let ms, let run):
            state.results = rows
            if let q = state.picker.current, q.text == query {
                for i in state.results.indices { state.results[i].relevant = q.relevant[state.results[i].id] }
            } else {
                state.picker.current = nil
            }
            state.queryBar.searched = query
            state.queryBar.run = run
            state.queryBar.milliseconds = ms
            state.selected = 0
            state.details.passageScroll = 0
            state.details.step = 0
            state.comparison.previousRanking = []
            state.comparison.previousInstruction = nil
            let wasRunning = state.job.map { !$0.finished && !$0.cancelled } ?? false
            state.job = nil
            var effects: [Effect] = wasRunning ? [.cancelRerank] : []
            if state.queryBar.rerankAfterSearch {
                state.queryBar.rerankAfterSearch = false
                effects += startRerank(&state)
            }
            return effects
        case .engine(let generation, let event):
            guard generation == state.generation, state.job != nil else { return [] }  // a superseded job
            let isToken = if case .token = event { true } else { false }
            keepSelection(&state, reorders: !isToken) { applyEngine(&$0, event) }
            return []
        case .secondJudge(let generation, let event):
            guard generation == state.generation, state.job != nil else { return [] }
            let isToken = if case .token = event { true } else { false }
            keepSelection(&state, reorders: !isToken && state.judges.byDisagreement) { applySecond(&$0, event) }
            return []
        case .paste(let text):
            switch state.mode {
            case .editingQuery:
                insert(&state.queryBar.text, &state.queryBar.cursor, text.pasted(newline: " "))
                return [.search(query: state.queryBar.text, k: state.k)]
            case .editingInstruction:
                insert(&state.editor.draft, &state.editor.cursor, text.pasted(newline: "\n"))
            case .browse:
                // Pasted while browsing: a new query, as if typed after "/" (never read as command keys).
                state.mode = .editingQuery
                state.queryBar.text = text.pasted(newline: " ")
                state.queryBar.cursor = state.queryBar.text.count
                return [.search(query: state.queryBar.text, k: state.k)]
            default: break
            }
            return []
        case .wheel(let up):
            return handleKey(&state, up ? .up : .down)
        case .click(let x, let y):
            // A click acts on the panes only while they are what is shown: over the instruction editor or a
            // picker it would leave them (and the editor's draft with them).
            guard state.mode == .browse || state.mode == .editingQuery else { return [] }
            return click(&state, x: x, y: y)
        case .drag(let x, let y):
            if state.draggingDivider {
                let layout = Layout(width: state.width, height: state.height, split: state.split)
                state.split = Layout(width: state.width, height: state.height, split: layout.split(toward: x, y)).split
            }
            return []
        case .release:
            state.draggingDivider = false
            return []
        case .key(let key):
            return handleKey(&state, key)
        case .sideBySide(let query, let columns):
            showSideBySide(&state, query: query, columns: columns)
            return []
        case .notice(let text, let isError):
            state.status.message = text
            state.status.isError = isError
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
            // Scrolling moves like a list over the possible offsets; any other key closes.
            if !moveInList(&s.helpScroll, count: View.helpMaxScroll(s) + 1, s.keyMap.action(for: key, in: .help)) {
                s.helpScroll = 0
                s.mode = s.homeMode
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

    static func browse(_ s: inout ExplorerState, _ key: Key) -> [Effect] {
        s.status.message = nil
        s.status.isError = false
        guard let action = s.keyMap.action(for: key, in: .browse) else { return [] }
        switch action {
        case .quit:
            s.quit = true
            return [.quit]
        case .help:
            s.mode = .help
        case .editQuery:
            s.mode = .editingQuery
            s.queryBar.cursor = s.queryBar.text.count
        case .editInstruction:
            s.mode = .editingInstruction
            s.editor.draft = s.editor.instruction
            s.editor.cursor = s.editor.draft.count
        case .disagreement: toggleDisagreement(&s)
        case .compare:
            if s.comparison.previousRanking.isEmpty {
                s.status.message =
                    "A/B needs two instructions: rerank, edit the instruction (\(s.keyMap.label(.editInstruction, in: .browse))), rerank again"
            } else {
                s.mode = .comparing
            }
        case .pickQuery:
            if s.picker.runs != nil {
                s.mode = .pickingRunQuery
            } else if s.picker.collection.isEmpty {
                s.status.message = "no query list: open a run (--run FILE) or a collection (--collection DIR)"
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
                s.status.message = "reranking cancelled"
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
            s.details.follow = false
            s.details.step += 1
            clampStep(&s)
            scrollPassageToStep(&s)
        case .previousStep:
            s.details.follow = false
            s.details.step = max(0, s.details.step - 1)
            scrollPassageToStep(&s)
        case .verdict:
            // Jump to the verdict: the last step, and follow the stream again.
            s.details.follow = true
            s.details.step = Int.max
            clampStep(&s)
        case .widerList, .narrowerList:
            let step = Layout(width: s.width, height: s.height).sideBySide ? 4 : 1
            s.split = Layout(width: s.width, height: s.height, split: s.split + (action == .widerList ? step : -step)).split
        case .more, .fewer:
            s.k = action == .more ? min(s.k + 5, 100) : max(s.k - 5, 5)
            s.status.message = "rerank top \(s.k)"
            if s.queryBar.run != nil { return [] }  // a run's candidates are all listed already
            if !s.queryBar.searched.isEmpty { return [.search(query: s.queryBar.searched, k: s.k)] }
        // Other contexts' actions: the key map never binds them here (it refuses a file that tries). Listed, not
        // `default`, so that a new action is a compile error until this switch says what it does while browsing.
        case .apply, .close, .open, .left, .right, .lineStart, .lineEnd, .deleteBack, .deleteForward, .deleteToStart, .deleteWord,
            .newline, .nextPreset, .history, .clear:
            break
        }
        return []
    }

    static func click(_ s: inout ExplorerState, x: Int, y: Int) -> [Effect] {
        let layout = Layout(width: s.width, height: s.height, split: s.split)
        if layout.onDivider(x: x, y: y) {
            s.draggingDivider = true  // the panes follow the mouse until the button is let go
            return []
        }
        if layout.results.contains(x: x, y: y) {
            s.focus = .results
            guard y > layout.results.y else { return [] }  // the pane's header row is no result
            let row = y - layout.results.y - 1 + layout.firstVisible(selected: s.selected, count: s.results.count)
            if row >= 0 && row < s.results.count {
                s.selected = row
                s.details.passageScroll = 0
                s.details.step = 0
            }
        } else if layout.passage.contains(x: x, y: y) {
            s.focus = .passage
        } else if layout.reasoning.contains(x: x, y: y) {
            s.focus = .reasoning
        } else if y == 0 {
            s.mode = .editingQuery
            s.queryBar.cursor = s.queryBar.text.count
        }
        return []
    }
}

extension String {
    /// Pasted text as typed text: line ends ("\r\n" is one Character) become `newline`, tabs a space, and other
    /// control characters (an ESC from a terminal) are dropped, so none reaches the query or the model's prompt.
    func pasted(newline: Character) -> String {
        String(
            compactMap { c -> Character? in
                if c.isNewline { return newline }
                if c == "\t" { return " " }
                return TextWidth.isControl(c) ? nil : c
            })
    }

}
