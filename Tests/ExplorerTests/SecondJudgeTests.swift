import Testing

@testable import Explorer
@testable import Rerank

/// Two judges in the explorer: both scores per row, the agreement in the header, sorting by disagreement, both
/// chains side by side.
@Suite struct SecondJudgeTests {
    /// Five rows judged by both, the scores exact in binary (so the gaps tie exactly): rows 1 and 3 disagree most.
    static func judged() -> ExplorerState {
        var s = Fixture.start(width: 120, height: 30)
        s.judges = Judges(names: ["qwen", "smol"])
        Fixture.searched(&s)
        guard case .rerank(let g, _, _, _)? = Explorer.update(&s, .key(.enter)).first else {
            Issue.record("no rerank")
            return s
        }
        #expect(s.results.prefix(5).allSatisfy { $0.second.judgment == .queued })
        let a = [0.875, 0.75, 0.375, 0.25, 0.125]
        let b = [0.75, 0.125, 0.5, 0.875, 0.0625]
        for p in 0..<5 {
            _ = Explorer.update(&s, .engine(generation: g, event: .verdict(Fixture.verdict(p, a[p], "First judge on passage \(p)."))))
            _ = Explorer.update(&s, .secondJudge(generation: g, event: .token(passage: p, text: "Second ")))
            _ = Explorer.update(&s, .secondJudge(generation: g, event: .verdict(Fixture.verdict(p, b[p], "Second judge on passage \(p)."))))
        }
        // A superseded job's events change nothing.
        _ = Explorer.update(&s, .secondJudge(generation: g - 1, event: .failed(passage: 0, reason: "old")))
        return s
    }

    @Test func bothScoresTheAgreementAndTheSecondChain() {
        let s = SecondJudgeTests.judged()
        let screen = View.render(s).screen.text
        let lines = screen.split(separator: "\n").map(String.init)
        // Row of passage 1 (mc): 0.750 then 0.125.
        #expect(lines.first { $0.contains("Midnight Commander") }?.contains("0.750 0.125") == true)
        let a = JudgeAgreement([0.875, 0.75, 0.375, 0.25, 0.125], [0.75, 0.125, 0.5, 0.875, 0.0625])
        #expect(Explorer.agreement(s) == a)
        #expect(screen.contains(String(format: "qwen | smol τ %.2f κ %.2f", a.tau!, a.kappa!)))
        // The selected row's two chains side by side, each under its judge.
        #expect(screen.contains("First judge on passage 0.") && screen.contains("Second judge on passage 0."))
        #expect(lines.contains { $0.contains("Reasoning") && $0.contains("smol") })
    }

    @Test func dSortsByDisagreementAndBack() {
        var s = SecondJudgeTests.judged()
        let byScore = s.ranking
        #expect(byScore == [0, 1, 2, 3, 4])
        _ = Explorer.update(&s, .key(.char("d")))
        #expect(s.judges.byDisagreement)
        // |A − B|: 0.125, 0.625, 0.125, 0.625, 0.0625 → rows 1 and 3, then 0 and 2 (the ranking's order among equals), then 4.
        #expect(s.ranking == [1, 3, 0, 2, 4])
        #expect(View.render(s).screen.text.contains("by disagreement"))
        _ = Explorer.update(&s, .key(.char("d")))
        #expect(s.ranking == byScore)
    }

    @Test func withOneJudgeTheKeySaysHowToHaveTwo() {
        var s = Fixture.start()
        Fixture.searched(&s)
        _ = Explorer.update(&s, .key(.char("d")))
        #expect(!s.judges.byDisagreement && s.status.message?.contains("--judge") == true)
    }
}
