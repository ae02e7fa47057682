import Testing

@testable import Explorer
@testable import Rerank

/// What a chain drew on, on screen: the passage's spans the chain quotes, stepping through the chain's sentences
/// (the passage scrolls to the step's spans), the unsupported mark, a sentence from the query only.
@Suite struct AttributedTests {
    static let filler = (1...30).map { "Sentence \($0) of filler about unrelated matters." }.joined(separator: " ")
    static let passage = filler + " At the crossing the zebra lights blink twice before turning."
    static let chain = "The passage says the zebra lights blink twice. Dogs bark loudly at night. It is a terminal file manager. Yes."

    /// The long passage judged first, with the chain above; the others say "No.". `turning`: passage 0 also has a
    /// direct verdict (0.2) and probes after its first three sentences (0.3, 0.35, 0.85), its verdict 0.9.
    static func judged(turning: Bool = false, width: Int = 100) -> ExplorerState {
        var s = Fixture.start(width: width, height: 24)
        for c in "/terminal file manager" { _ = Explorer.update(&s, .key(.char(c))) }
        _ = Explorer.update(&s, .key(.escape))
        let list = [("crossing", "Road signals", passage)] + Fixture.passages.dropFirst()
        _ = Explorer.update(&s, .searched(query: "terminal file manager", rows: Fixture.rows(list), milliseconds: 1))
        guard case .rerank(let g, _, _, _)? = Explorer.update(&s, .key(.enter)).first else {
            Issue.record("no rerank")
            return s
        }
        var first = Fixture.verdict(0, 0.9, chain)
        if turning {
            _ = Explorer.update(&s, .engine(generation: g, event: .direct(passage: 0, DirectVerdict(score: 0.2, probabilityTrue: 0.1))))
            let ends = Sentences.split(chain).prefix(3).map(\.upperBound)
            first.trajectory = zip(ends.indices, [0.3, 0.35, 0.85]).map { i, score in
                Probe(sentence: i + 1, tokens: 5 * (i + 1), characters: ends[i], score: score, probabilityTrue: 0)
            }
            first.direct = DirectVerdict(score: 0.2, probabilityTrue: 0.1)
        }
        for p in 0..<5 {
            _ = Explorer.update(&s, .engine(generation: g, event: .verdict(p == 0 ? first : Fixture.verdict(p, 0.1, "No."))))
        }
        return s
    }

    /// The text of the cells in `rect` drawn with `role`, row by row, runs joined by "|".
    static func text(_ s: ExplorerState, in rect: Rect, role: Role) -> String {
        let screen = View.render(s).screen
        var runs: [String] = []
        var run = ""
        for y in rect.y..<rect.y + rect.height {
            for x in rect.x..<rect.x + rect.width {
                if screen[x, y].role == role {
                    run += screen[x, y].text
                } else if !run.isEmpty {
                    runs.append(run)
                    run = ""
                }
            }
        }
        if !run.isEmpty { runs.append(run) }
        return runs.joined(separator: "|")
    }

    static func header(_ s: ExplorerState, _ rect: Rect) -> String {
        let screen = View.render(s).screen
        return (rect.x..<rect.x + rect.width).map { screen[$0, rect.y].text }.joined()
    }

    @Test func steppingShowsTheSentencesSpansAndScrollsThePassageToThem() {
        var s = AttributedTests.judged()
        let layout = Layout(width: s.width, height: s.height, split: s.split)
        #expect(s.selectedRow?.id == "crossing")
        // Following the stream: the quote is far down the passage, out of view; the header counts grounded sentences.
        #expect(s.details.passageScroll == 0)
        #expect(AttributedTests.text(s, in: layout.passage, role: .quoted).isEmpty)
        #expect(AttributedTests.header(s, layout.reasoning).contains("2/3 grounded"))
        // Into the reasoning pane, to its first sentence: the passage scrolls to the span it quotes, drawn as the step.
        _ = Explorer.update(&s, .key(.tab))
        _ = Explorer.update(&s, .key(.tab))
        #expect(s.focus == .reasoning)
        for _ in 0..<5 { _ = Explorer.update(&s, .key(.up)) }
        #expect(s.details.step == 0)
        #expect(s.details.passageScroll > 0)
        #expect(AttributedTests.text(s, in: layout.passage, role: .current) == "zebra lights blink twice")
        #expect(AttributedTests.header(s, layout.reasoning).contains("step 1/4 · from the passage"))
        // The second sentence has no support anywhere: marked, and said when stepped to.
        #expect(AttributedTests.text(s, in: layout.reasoning, role: .unsupported).hasSuffix("Dogs|bark loudly at night."))
        _ = Explorer.update(&s, .key(.down))
        #expect(AttributedTests.header(s, layout.reasoning).contains("step 2/4 · unsupported"))
        // Off the step, the passage's span is drawn as quoted.
        #expect(AttributedTests.text(s, in: layout.passage, role: .quoted) == "zebra lights blink twice")
        // The third sentence's words come from the query, not the passage: highlighted as query words in the chain.
        _ = Explorer.update(&s, .key(.down))
        #expect(AttributedTests.header(s, layout.reasoning).contains("step 3/4 · from the query only"))
        #expect(AttributedTests.text(s, in: layout.reasoning, role: .highlight) == "terminal file manager")
        // "Yes." makes no claim: no mark either way.
        _ = Explorer.update(&s, .key(.down))
        #expect(AttributedTests.header(s, layout.reasoning).contains("step 4/4 · true"))
    }

    @Test func theTurnIsMarkedAndAFlipIsFlagged() {
        var s = AttributedTests.judged(turning: true, width: 160)
        let layout = Layout(width: s.width, height: s.height, split: s.split)
        let screen = View.render(s).screen.text
        // The row the reasoning flipped (direct 0.2, verdict 0.9) carries the mark, and the header says what it means.
        #expect(screen.split(separator: "\n").first { $0.contains("Road signals") }?.contains("⇅") == true)
        #expect(screen.contains("⇅ reasoning flipped"))
        #expect(AttributedTests.header(s, layout.reasoning).contains("2/3 grounded · turned at step"))
        // The verdict line under the chain names the turn and the flip with its size.
        let verdictLine = AttributedTests.text(s, in: layout.reasoning, role: .accent)
        #expect(verdictLine.contains("turned most after step 3 (0.35 → 0.85)"))
        #expect(verdictLine.contains("the reasoning moved it +0.700, across 0.5"))
        // The turning sentence is drawn in its own colour while the pane follows the stream.
        #expect(AttributedTests.text(s, in: layout.reasoning, role: .accent).contains("It is a"))
        _ = Explorer.update(&s, .key(.tab))
        _ = Explorer.update(&s, .key(.tab))
        for _ in 0..<5 { _ = Explorer.update(&s, .key(.up)) }
        _ = Explorer.update(&s, .key(.down))
        _ = Explorer.update(&s, .key(.down))
        #expect(AttributedTests.header(s, layout.reasoning).contains("step 3/4 · turned here 0.35 → 0.85 · from the query only"))
    }

    @Test func theStepKeysScrollThePassageToo() {
        var s = AttributedTests.judged()
        #expect(s.focus == .results)
        for _ in 0..<5 { _ = Explorer.update(&s, .key(.char("p"))) }
        #expect(s.details.step == 0 && !s.details.follow)
        #expect(s.details.passageScroll > 0)
        let layout = Layout(width: s.width, height: s.height, split: s.split)
        #expect(AttributedTests.text(s, in: layout.passage, role: .current) == "zebra lights blink twice")
    }
}
