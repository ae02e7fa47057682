import Foundation
import Testing

@testable import Explorer
@testable import Rerank

/// The provisional ranking: direct verdicts sort the list at once, each chain's verdict replaces its row's, an
/// instruction edit leaves the old verdicts on screen as stale, and the engine is told which rows the user looks at.
@Suite struct DirectRankingTests {
    static func job(_ s: inout ExplorerState) -> Int {
        let effects = Explorer.update(&s, .key(.enter))
        guard case .rerank(let g, _, _, _)? = effects.first else { fatalError("Enter did not start a rerank: \(effects)") }
        return g
    }

    static func send(_ s: inout ExplorerState, _ g: Int, _ e: RerankEvent) { _ = Explorer.update(&s, .engine(generation: g, event: e)) }

    static func text(_ s: ExplorerState) -> String { View.render(s).screen.text }

    @Test func directVerdictsReorderAtOnceAndVerdictsReplaceThem() {
        var s = Fixture.start(width: 100, height: 24)
        Fixture.searched(&s)
        let g = DirectRankingTests.job(&s)
        #expect(s.ranking == [0, 1, 2, 3, 4])
        DirectRankingTests.send(&s, g, .direct(passage: 3, DirectVerdict(score: 0.8, probabilityTrue: 0.1)))
        #expect(s.ranking.first == 3, "a direct verdict sorts the list before any chain ends")
        #expect(s.results[3].currentScore?.source == .direct)
        var screen = DirectRankingTests.text(s)
        #expect(screen.contains("≈0.80"), "the provisional score is marked:\n\(screen)")
        #expect(screen.contains("≈↑3"), "its move is marked as the direct verdict's:\n\(screen)")
        #expect(screen.contains("≈ direct verdict"))
        DirectRankingTests.send(&s, g, .direct(passage: 1, DirectVerdict(score: 0.6, probabilityTrue: 0.1)))
        var v = Fixture.verdict(3, 0.2, "Not about it.")
        v.direct = DirectVerdict(score: 0.8, probabilityTrue: 0.1)
        DirectRankingTests.send(&s, g, .verdict(v))
        #expect(s.results[3].currentScore?.source == .reasoned)
        #expect(s.ranking.prefix(2) == [1, 3], "the reasoned 0.2 now ranks below the direct 0.6")
        screen = DirectRankingTests.text(s)
        #expect(screen.contains("0.200") && !screen.contains("≈0.80"))
        // The reasoning pane says what the reasoning did to the direct verdict.
        s.selected = s.ranking.firstIndex(of: 3)!
        screen = DirectRankingTests.text(s)
        #expect(screen.contains("direct true 0.800 →"), "\(screen)")
        #expect(screen.contains("across 0.5"), "\(screen)")
    }

    @Test func anInstructionEditKeepsTheOldVerdictsStaleUntilReplaced() {
        var s = Fixture.start(width: 100, height: 24)
        Fixture.searched(&s)
        Fixture.rerank(&s, scores: [0.1, 0.9, 0.5, 0.3, 0.7])
        #expect(s.ranking == [1, 4, 2, 3, 0])
        _ = Explorer.update(&s, .key(.char("i")))
        _ = Explorer.update(&s, .key(.ctrl("u")))
        _ = Explorer.update(&s, .paste("Wanted: FILL_QUERY_HERE"))
        let effects = Explorer.update(&s, .key(.ctrl("s")))
        guard case .rerank(let g, _, "Wanted: FILL_QUERY_HERE"?, _)? = effects.first else {
            Issue.record("applying the instruction did not rerank: \(effects)")
            return
        }
        #expect(s.ranking == [1, 4, 2, 3, 0], "the old order stays on screen")
        #expect(s.results.allSatisfy { $0.currentScore?.source == .stale })
        var screen = DirectRankingTests.text(s)
        #expect(screen.contains("(0.90)") && screen.contains("(…) previous instr."), "\(screen)")
        DirectRankingTests.send(&s, g, .direct(passage: 0, DirectVerdict(score: 0.95, probabilityTrue: 0.2)))
        #expect(s.ranking.first == 0 && s.results[0].currentScore?.source == .direct && s.results[0].stale == nil)
        screen = DirectRankingTests.text(s)
        #expect(screen.contains("≈0.95") && screen.contains("(0.90)"))
    }

    @Test func theEngineIsToldWhichRowsTheUserLooksAt() {
        var s = Fixture.start(width: 100, height: 24)
        s.k = 5
        Fixture.searched(&s)
        let effects = Explorer.update(&s, .key(.enter))
        guard case .rerank(let g, _, _, _)? = effects.first else {
            Issue.record("no job")
            return
        }
        #expect(effects.contains(.prioritize(generation: g, passages: [0, 1, 2, 3, 4])), "\(effects)")
        // Passage 0 starts; the direct verdicts put 4 on top; moving the selection down to the third row wants it first.
        DirectRankingTests.send(&s, g, .started(passage: 0, truncated: false))
        for (p, sc) in [(4, 0.9), (2, 0.8), (3, 0.7)] {
            DirectRankingTests.send(&s, g, .direct(passage: p, DirectVerdict(score: sc, probabilityTrue: 0.1)))
        }
        #expect(s.job?.wanted == [0, 4, 2, 3, 1])  // the selected row (still passage 0), then the others in the order shown
        // The selection stayed on passage 0 as the rows moved; to the top, then two rows down.
        let moved = Explorer.update(&s, .key(.char("g"))) + Explorer.update(&s, .key(.down)) + Explorer.update(&s, .key(.down))
        #expect(s.selectedIndex == 3)
        #expect(moved.last == .prioritize(generation: g, passages: [3, 4, 2, 0, 1]), "\(moved)")
        // A row's start does not change the wish (a list that reaches the engine late says the same).
        #expect(Explorer.update(&s, .engine(generation: g, event: .started(passage: 3, truncated: false))).isEmpty)
        // Nothing more is asked while the wish stands; a finished job asks nothing.
        #expect(Explorer.update(&s, .tick(now: 1)).isEmpty)
        Fixture.finish(&s, generation: g, scores: [0.1, 0.2, 0.3, 0.4, 0.5])
        #expect(Explorer.update(&s, .key(.up)).isEmpty)
    }

    @Test func theTimelineTellsScoredAndFinal() {
        var s = Fixture.start(width: 100, height: 24)
        Fixture.searched(&s)
        let g = DirectRankingTests.job(&s)
        var t = ScreenTimeline(top: 2)
        t.note(s, at: 0.1)
        DirectRankingTests.send(&s, g, .direct(passage: 0, DirectVerdict(score: 0.5, probabilityTrue: 0.1)))
        t.note(s, at: 1)
        DirectRankingTests.send(&s, g, .direct(passage: 1, DirectVerdict(score: 0.4, probabilityTrue: 0.1)))
        t.note(s, at: 2)
        DirectRankingTests.send(&s, g, .verdict(Fixture.verdict(0, 0.9, "Yes.")))
        DirectRankingTests.send(&s, g, .verdict(Fixture.verdict(1, 0.8, "Yes.")))
        t.note(s, at: 3)
        DirectRankingTests.send(&s, g, .verdict(Fixture.verdict(2, 0.95, "Yes.")))  // moves into the top: not final at 3
        t.note(s, at: 4)
        DirectRankingTests.send(&s, g, .verdict(Fixture.verdict(3, 0.1, "No.")))
        t.note(s, at: 5)
        #expect(t.firstDirect == 1 && t.topScored == 2 && t.topFinal == 4)
    }
}
