import Foundation
import Testing

@testable import Explorer
@testable import Rerank

/// The explorer's start is one value (`ExplorerSetup`); the first state is made from it and nothing else.
@Suite struct SetupTests {
    static func setup() -> ExplorerSetup {
        var s = ExplorerSetup(corpusName: "debian", corpusSize: 63436)
        s.modelName = "Qwen2.5 Coder 0.5B"
        s.backend = "llama.cpp in-process"
        s.profile = ProfileChoice(profile: .chatml, reason: "its chat template is ChatML", rank1Shaped: false)
        s.fusion = ScoreFusion(weight: 0.3)
        s.k = 15
        s.instruction = "Wanted: FILL_QUERY_HERE"
        s.keyMap = Fixture.shippedKeys
        return s
    }

    @Test func aJudgeSaysItsProfileAndFusion() {
        let state = ExplorerState(setup: SetupTests.setup(), width: 100, height: 30)
        #expect(state.width == 100 && state.height == 30 && state.k == 15 && state.rerankAvailable)
        #expect(state.modelName == "Qwen2.5 Coder 0.5B" && state.backend == "llama.cpp in-process")
        #expect(state.profileName == "chatml" && state.profileReason == "its chat template is ChatML" && state.rank1Checkpoint == false)
        #expect(state.fusion == ScoreFusion(weight: 0.3) && state.editor.instruction == "Wanted: FILL_QUERY_HERE")
        #expect(state.status.message == "profile chatml: its chat template is ChatML" && !state.status.isError)
        #expect(state.mode == .browse && state.keyMap == Fixture.shippedKeys)
    }

    @Test func withoutAJudgeItIsBM25AndSaysWhy() {
        var setup = ExplorerSetup(corpusName: "debian", corpusSize: 10)
        setup.problem = "started with --no-model"
        setup.fusion = ScoreFusion(weight: 0.3)  // no judge: nothing is fused
        let state = ExplorerState(setup: setup)
        #expect(!state.rerankAvailable && state.modelName == "no model" && state.backend == "started with --no-model")
        #expect(state.fusion == nil && state.profileName.isEmpty)
        #expect(state.status.message == "BM25 only: started with --no-model" && state.status.isError)
    }

    @Test func aCollectionOpensItsQueryList() {
        var setup = SetupTests.setup()
        setup.collection = [CollectionQuery(id: "1", text: "q", relevant: ["d": 1])]
        setup.collectionName = "scifact"
        let state = ExplorerState(setup: setup)
        #expect(state.mode == .pickingQuery && state.picker.collection.count == 1 && state.corpusName == "scifact")
    }
}
