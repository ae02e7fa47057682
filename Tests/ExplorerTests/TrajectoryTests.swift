import Foundation
import Testing

@testable import Explorer
@testable import Rerank

/// The verdict trajectory (probes on): drawn above the reasoning, and the probe shown follows the step.
@Suite struct TrajectoryTests {
    static let reasoning = "The passage describes a file manager. It runs in a terminal. So it is relevant."
    // Probes after the first and the second sentence (characters up to each sentence's end).
    static let probes = [
        Probe(sentence: 1, tokens: 8, characters: 37, score: 0.31, probabilityTrue: 0.1),
        Probe(sentence: 2, tokens: 14, characters: 60, score: 0.74, probabilityTrue: 0.3),
    ]

    /// A finished job whose first passage (the best after reranking) came with two probes.
    static func judged() -> ExplorerState {
        var s = Fixture.start()
        Fixture.searched(&s)
        guard case .rerank(let g, _, _, _)? = Explorer.update(&s, .key(.enter)).first else { fatalError("no rerank") }
        _ = Explorer.update(&s, .engine(generation: g, event: .started(passage: 0, truncated: false)))
        _ = Explorer.update(&s, .engine(generation: g, event: .token(passage: 0, text: String(reasoning.prefix(38)))))
        _ = Explorer.update(&s, .engine(generation: g, event: .probe(passage: 0, probes[0])))
        _ = Explorer.update(&s, .engine(generation: g, event: .token(passage: 0, text: String(reasoning.dropFirst(38).prefix(23)))))
        _ = Explorer.update(&s, .engine(generation: g, event: .probe(passage: 0, probes[1])))
        var v = Fixture.verdict(0, 0.9, reasoning)
        v.trajectory = probes
        for p in 0..<5 {
            _ = Explorer.update(&s, .engine(generation: g, event: .verdict(p == 0 ? v : Fixture.verdict(p, 0.1 * Double(p), "No."))))
        }
        return s
    }

    static func line(_ s: ExplorerState, containing needle: String) -> String? {
        View.render(s).screen.text.split(separator: "\n").map(String.init).first { $0.contains(needle) }
    }

    @Test func probesArriveAndTheVerdictKeepsThem() {
        let s = TrajectoryTests.judged()
        #expect(s.selectedRow?.id == "ytree")
        #expect(s.selectedRow?.trajectory == TrajectoryTests.probes)
    }

    @Test func theTrajectoryIsDrawnAndFollowsTheStep() throws {
        var s = TrajectoryTests.judged()
        try SnapshotTests().check(s, "trajectory")
        // Following the stream: the last probe.
        #expect(TrajectoryTests.line(s, containing: "P ")?.contains("0.74 after sentence 2 (14 tok)") == true)
        // Into the reasoning pane, first sentence: its probe; down one sentence: the next.
        _ = Explorer.update(&s, .key(.tab))
        _ = Explorer.update(&s, .key(.tab))
        #expect(s.focus == .reasoning)
        for _ in 0..<3 { _ = Explorer.update(&s, .key(.up)) }
        #expect(s.details.step == 0)
        #expect(TrajectoryTests.line(s, containing: "P ")?.contains("0.31 after sentence 1 (8 tok)") == true)
        _ = Explorer.update(&s, .key(.down))
        #expect(TrajectoryTests.line(s, containing: "P ")?.contains("0.74 after sentence 2 (14 tok)") == true)
    }

    @Test func theStepsProbeIsTheLastAtOrBeforeItsEnd() {
        let p = TrajectoryTests.probes
        #expect(View.probe(p, endingBy: 10) == nil)
        #expect(View.probe(p, endingBy: 37) == 0)
        #expect(View.probe(p, endingBy: 59) == 0)
        #expect(View.probe(p, endingBy: 80) == 1)
    }

    @Test func aNewRerankClearsTheTrajectory() {
        var s = TrajectoryTests.judged()
        _ = Explorer.update(&s, .key(.enter))
        #expect(s.results.allSatisfy { $0.trajectory.isEmpty })
    }
}
