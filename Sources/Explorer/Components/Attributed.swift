import Rerank
import Retrieval

// What the selected row's chain drew on (`Attribution`), drawn in the passage and reasoning panes: the passage's
// words the chain quotes or restates, the chain's words that come from the query or instruction, its sentences with
// no support; stepping through the chain shows the current sentence's spans and scrolls the passage to them.

extension View {
    /// The row's chain analysed against its passage, the searched query and the applied instruction, as the index
    /// analyses text; nil before the chain has a word.
    static func attribution(_ s: ExplorerState, _ row: ResultRow) -> Attribution? {
        guard row.reasoning.contains(where: { !$0.isWhitespace }) else { return nil }
        let analyzer = EnglishAnalyzer()
        let query = s.queryBar.searched
        return Attribution.of(
            chain: row.reasoning, passage: Rank1Prompt.passageText(title: row.title, text: row.text), query: query,
            instruction: s.editor.instruction.isEmpty ? nil : Rank1Prompt.filledQuery(query: query, instruction: s.editor.instruction),
            tokens: { analyzer.rawTokens($0) })
    }

    /// The character index of each Unicode scalar of `text` (and of its end): attribution counts scalars, the panes
    /// characters.
    static func characterAt(scalarsOf text: String) -> [Int] {
        var out: [Int] = []
        for (i, c) in text.enumerated() { out += Array(repeating: i, count: c.unicodeScalars.count) }
        out.append(text.count)
        return out
    }

    /// The passage's attributed spans as character ranges of the passage pane's text (title, a line break, the text:
    /// as many scalars as the model's title, space, text), each with whether it belongs to the current step's sentence.
    static func quotedInPassage(_ s: ExplorerState, _ row: ResultRow) -> [(range: Range<Int>, current: Bool)] {
        guard let a = attribution(s, row) else { return [] }
        let shown = row.title.isEmpty ? row.text : row.title + "\n" + row.text
        let at = characterAt(scalarsOf: shown)
        let sentence = currentSentence(s, a)
        return a.spans.filter { $0.source == .passage && $0.range.upperBound < at.count }.map { span in
            (at[span.range.lowerBound]..<at[span.range.upperBound], sentence.map { $0.range.contains(span.chain.lowerBound) } ?? false)
        }
    }

    /// The sentence the user stepped to (nil while the pane follows the stream).
    static func currentSentence(_ s: ExplorerState, _ a: Attribution) -> Attribution.Sentence? {
        guard !s.details.follow, s.details.step < a.sentences.count else { return nil }
        return a.sentences[s.details.step]
    }

    /// Roles for the reasoning text: sentences with no support, the current step, then the spans (the passage's
    /// quoted, the query's or instruction's highlighted as query terms are in the passage).
    static func reasoningRoles(
        _ s: ExplorerState, _ row: ResultRow, text: String, steps: [Range<Int>], step: Int, attribution: Attribution?
    ) -> [(Role, Bool)] {
        var roles = [(Role, Bool)](repeating: (.normal, false), count: text.count)
        let a = text == row.reasoning ? attribution : nil
        let at = characterAt(scalarsOf: text)
        func mark(_ r: Range<Int>, _ role: Role, _ bold: Bool) {
            for c in r where c < roles.count { roles[c] = (role, bold) }
        }
        for sentence in a?.sentences ?? [] where sentence.unsupported && sentence.range.upperBound < at.count {
            mark(at[sentence.range.lowerBound]..<at[sentence.range.upperBound], .unsupported, false)
        }
        if let turn = turningStep(row, steps: steps) { mark(steps[turn.step], .accent, true) }
        if step < steps.count { mark(steps[step], .current, true) }
        for span in a?.spans ?? [] where span.chain.upperBound < at.count {
            mark(at[span.chain.lowerBound]..<at[span.chain.upperBound], span.source == .passage ? .quoted : .highlight, false)
        }
        return roles
    }

    /// What the current step's sentence rests on, and whether the verdict turned there, for the pane's header.
    static func supportNote(_ s: ExplorerState, _ row: ResultRow, _ attribution: Attribution?, steps: [Range<Int>]) -> String? {
        guard let a = attribution else { return nil }
        let turn = turningStep(row, steps: steps)
        guard let sentence = currentSentence(s, a) else {
            let claiming = a.sentences.filter(\.claims)
            var notes = claiming.isEmpty ? [] : ["\(claiming.filter { !$0.sources.isEmpty }.count)/\(claiming.count) grounded"]
            if let turn { notes.append("turned at step \(turn.step + 1)") }
            return notes.isEmpty ? nil : notes.joined(separator: " · ")
        }
        var notes: [String] = []
        if let turn, turn.step == s.details.step {
            notes.append(String(format: "turned here %.2f → %.2f", turn.point.from, turn.point.to))
        }
        if sentence.unsupported {
            notes.append("unsupported")
        } else if sentence.claims {
            notes.append(sentence.sources.contains(.passage) ? "from the passage" : "from the query only")
        }
        return notes.isEmpty ? nil : notes.joined(separator: " · ")
    }

    /// The step where the verdict turned most (`TurningPoint`: with probes, once the verdict is in).
    static func turningStep(_ row: ResultRow, steps: [Range<Int>]) -> (step: Int, point: TurningPoint)? {
        guard let v = row.judgment.verdict, let point = TurningPoint.of(v) else { return nil }
        let end = max(0, point.characters - 1)
        guard let step = steps.firstIndex(where: { $0.contains(end) }) ?? (end >= (steps.last?.upperBound ?? 0) ? steps.indices.last : nil)
        else { return nil }
        return (step, point)
    }
}

extension Explorer {
    /// After a step through the reasoning: the passage pane scrolls to the first span the sentence quotes.
    static func scrollPassageToStep(_ s: inout ExplorerState) {
        guard let row = s.selectedRow, let first = View.quotedInPassage(s, row).first(where: \.current) else { return }
        let rect = Layout(width: s.width, height: s.height, split: s.split).passage
        guard let line = View.passageLines(row, width: rect.width).lines.lastIndex(where: { $0.start <= first.range.lowerBound }) else { return }
        // Only when it is out of view: the passage does not jump about while the spans are on screen.
        if !(s.details.passageScroll..<s.details.passageScroll + max(1, rect.height - 1)).contains(line) {
            s.details.passageScroll = min(max(0, line - 1), View.passageMaxScroll(s))
        }
    }
}
