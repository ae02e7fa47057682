import Foundation
import Testing

@testable import Explorer
@testable import Rerank

@Suite struct UpdateTests {
    @Test func typingSearchesAsYouTypeAndEnterReranksTheFreshResults() {
        var s = Fixture.start()
        #expect(Explorer.update(&s, .key(.char("/"))).isEmpty)
        #expect(Explorer.update(&s, .key(.char("f"))) == [.search(query: "f", k: 5)])
        #expect(Explorer.update(&s, .key(.char("m"))) == [.search(query: "fm", k: 5)])
        #expect(Explorer.update(&s, .key(.backspace)) == [.search(query: "f", k: 5)])
        #expect(Explorer.update(&s, .paste("ile\nmanager")) == [.search(query: "file manager", k: 5)])
        #expect(Explorer.update(&s, .key(.enter)) == [.search(query: "file manager", k: 5)])
        let effects = Explorer.update(&s, .searched(query: "file manager", rows: Fixture.rows(), milliseconds: 1))
        guard case .rerank(_, let q, nil, let ps)? = effects.first else {
            Issue.record("no rerank after Enter: \(effects)")
            return
        }
        #expect(q == "file manager" && ps.count == 5)
    }

    @Test func eventsOfASupersededJobAreIgnored() {
        var s = Fixture.start()
        Fixture.searched(&s)
        guard case .rerank(let first, _, _, _)? = Explorer.update(&s, .key(.enter)).first,
            case .rerank(let second, _, _, _)? = Explorer.update(&s, .key(.enter)).first
        else {
            Issue.record("no job")
            return
        }
        #expect(second == first + 1)
        _ = Explorer.update(&s, .engine(generation: first, event: .verdict(Fixture.verdict(0, 0.9, "old"))))
        #expect(s.results[0].judgment == .queued)
        _ = Explorer.update(&s, .engine(generation: second, event: .verdict(Fixture.verdict(0, 0.4, "new"))))
        #expect(s.results[0].judgment.verdict?.score == 0.4)
    }

    @Test func escapeCancelsTheRunningJob() {
        var s = Fixture.start()
        Fixture.searched(&s)
        _ = Explorer.update(&s, .key(.enter))
        #expect(Explorer.update(&s, .key(.escape)) == [.cancelRerank])
        #expect(s.job?.cancelled == true)
        #expect(s.results.allSatisfy { $0.judgment == .none })
        #expect(Explorer.update(&s, .key(.escape)).isEmpty)  // nothing left to cancel
    }

    @Test func invalidInstructionIsRefusedWithAMessage() {
        var s = Fixture.start()
        Fixture.searched(&s)
        _ = Explorer.update(&s, .key(.char("i")))
        for c in "passages about cats" { _ = Explorer.update(&s, .key(.char(c))) }
        #expect(Explorer.update(&s, .key(.ctrl("s"))).isEmpty)
        #expect(s.mode == .editingInstruction)
        #expect(s.status.message?.contains("FILL_QUERY_HERE") == true)
        _ = Explorer.update(&s, .key(.ctrl("u")))
        #expect(s.editor.draft.isEmpty)
    }

    @Test func kendallTauOfReversedAndIdenticalRankings() {
        var s = Fixture.start()
        Fixture.searched(&s)
        Fixture.rerank(&s, scores: [0.9, 0.8, 0.7, 0.6, 0.5])
        s.comparison.previousRanking = s.ranking.map { s.results[$0].id }
        #expect(Explorer.kendallTau(s) == 1)
        s.comparison.previousRanking.reverse()
        #expect(Explorer.kendallTau(s) == -1)
    }

    @Test func selectionFollowsThePassageWhenTheRankingMoves() {
        var s = Fixture.start()
        Fixture.searched(&s)
        _ = Explorer.update(&s, .key(.down))  // select "mc", BM25 #2
        #expect(s.selectedRow?.id == "mc")
        Fixture.rerank(&s, scores: [0.9, 0.1, 0.5, 0.6, 0.7])
        #expect(s.selectedRow?.id == "ytree")  // Enter re-selects the top, then follows it
        _ = Explorer.update(&s, .key(.end))
        #expect(s.selectedRow?.id == "mc")
    }

    @Test func reasoningStepsWalkSentenceBySentence() {
        #expect(Sentences.split("First step. Second step!\nThird line\n\n").count == 3)
        var s = Fixture.start()
        Fixture.searched(&s)
        Fixture.rerank(&s, scores: [0.9, 0.1, 0.5, 0.6, 0.7])
        _ = Explorer.update(&s, .key(.char("g")))
        _ = Explorer.update(&s, .key(.char("p")))
        _ = Explorer.update(&s, .key(.char("p")))
        #expect(s.details.step == 0)
        _ = Explorer.update(&s, .key(.char("n")))
        #expect(s.details.step == 1)
        for _ in 0..<10 { _ = Explorer.update(&s, .key(.char("n"))) }
        #expect(s.details.step == 2)  // three sentences
    }

    @Test func withoutAModelBM25StillWorks() {
        var s = ExplorerState(
            width: 80, height: 24, corpusName: "c", corpusSize: 1, modelName: "no model", backend: "libllama not found",
            rerankAvailable: false)
        s.keyMap = Fixture.shippedKeys
        Fixture.searched(&s)
        #expect(Explorer.update(&s, .key(.enter)).isEmpty)
        #expect(s.status.message?.contains("libllama not found") == true)
    }

    @Test func wrapKeepsOffsetsAndWidths() {
        let lines = TextWidth.wrap("日本語の文章 and some english words here", columns: 10)
        for l in lines { #expect(TextWidth.of(l.line) <= 10) }
        let text = Array("日本語の文章 and some english words here")
        for l in lines where !l.line.isEmpty { #expect(String(text[l.start..<l.start + l.line.count]) == l.line) }
        #expect(TextWidth.of("日本") == 4 && TextWidth.of("é") == 1 && TextWidth.of("🐱") == 2)
    }
}

/// Fusion with BM25 in the explorer: the order follows the fused score and the screen says so.
@Suite struct FusionDisplayTests {
    @Test func fusedRankingIsUsedAndLabelled() {
        var plain = Fixture.start(width: 160, height: 24)
        Fixture.searched(&plain)
        var fused = plain
        fused.fusion = ScoreFusion(weight: 0.3)
        fused.profileName = "chatml"
        // Rank1 alone puts the last BM25 hit first; with 0.3·Rank1 + 0.7·BM25 the first BM25 hit stays first.
        let scores = [0.2, 0.3, 0.4, 0.5, 0.9]
        Fixture.rerank(&plain, scores: scores)
        Fixture.rerank(&fused, scores: scores)
        #expect(plain.ranking.first == 4)
        #expect(fused.ranking.first == 0)
        // bm25 9,8,7,6,5 (×0.73) → normalised 1, .75, .5, .25, 0; fused = 0.3·r + 0.7·b
        #expect(abs(fused.rankScores[0]! - (0.3 * 0.2 + 0.7)) < 1e-9)
        #expect(abs(fused.rankScores[4]! - 0.3 * 0.9) < 1e-9)
        let screen = View.render(fused).screen.text
        #expect(screen.contains("ranked by fused 0.30·Rank1 + 0.70·BM25"))
        #expect(screen.contains("profile chatml"))
        #expect(!View.render(plain).screen.text.contains("fused"))
    }

    @Test func theDividerMovesByKeysAndByDraggingWithinBounds() {
        var s = Fixture.start(width: 120, height: 30)
        Fixture.searched(&s)
        let before = Layout(width: 120, height: 30, split: s.split).results.width
        _ = Explorer.update(&s, .key(.char(">")))
        #expect(Layout(width: 120, height: 30, split: s.split).results.width == before + 4)
        for _ in 0..<50 { _ = Explorer.update(&s, .key(.char("<"))) }
        let narrowest = Layout(width: 120, height: 30, split: s.split)
        #expect(narrowest.results.width == 24 && narrowest.passage.x == 25)  // bounded: the list stays usable
        _ = Explorer.update(&s, .key(.char(">")))
        #expect(Layout(width: 120, height: 30, split: s.split).results.width == 28)  // no hidden overshoot to undo
        // Drag: press on the divider column, move, let go; a move without the press does nothing.
        let divider = Layout(width: 120, height: 30, split: s.split).results.width
        _ = Explorer.update(&s, .click(x: divider, y: 10))
        #expect(s.draggingDivider)
        _ = Explorer.update(&s, .drag(x: 70, y: 12))
        #expect(Layout(width: 120, height: 30, split: s.split).results.width == 70)
        _ = Explorer.update(&s, .release(x: 70, y: 12))
        _ = Explorer.update(&s, .drag(x: 40, y: 12))
        #expect(!s.draggingDivider && Layout(width: 120, height: 30, split: s.split).results.width == 70)
        let header = String(View.render(s).screen.text.split(separator: "\n")[1])
        #expect(header.distance(from: header.startIndex, to: header.range(of: "Passage")!.lowerBound) == 72, "\(header)")
        // Stacked (narrow) screens move the divider by rows.
        var n = Fixture.start(width: 80, height: 24)
        Fixture.searched(&n)
        let rows = Layout(width: 80, height: 24).results.height
        _ = Explorer.update(&n, .key(.char(">")))
        #expect(Layout(width: 80, height: 24, split: n.split).results.height == rows + 1)
    }
}
