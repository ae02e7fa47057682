import Rerank

/// What the explorer starts with: the corpus, the judge and how it was chosen, the key map, the instruction and its
/// presets, the lists to pick queries from. Built once by the command that opens the explorer (or a benchmark);
/// `ExplorerState(setup:)` turns it into the first state.
public struct ExplorerSetup: Sendable {
    public var corpusName: String
    public var corpusSize: Int
    /// The judge's model and backend; nil: BM25 only, with `problem` saying why.
    public var modelName: String?
    public var backend: String?
    public var problem: String?
    /// The profile the judge uses, and why (from the backend's look at the model).
    public var profile: ProfileChoice?
    public var fusion: ScoreFusion?
    public var k = 10
    public var instruction = ""
    public var presets: [Preset] = []
    public var keyMap = KeyMap()
    /// A collection's judged queries (`--collection`) and opened run files (`--run`): the explorer starts in their list.
    public var collection: [CollectionQuery] = []
    public var collectionName: String?
    /// With two judges (`--judge` twice): their names, the first's engine being the one that ranks.
    public var judges: [String] = []
    public var runs: RunSet?

    public init(corpusName: String, corpusSize: Int) {
        self.corpusName = corpusName
        self.corpusSize = corpusSize
    }
}

extension ExplorerState {
    public init(setup: ExplorerSetup, width: Int = 80, height: Int = 24) {
        let judging = setup.modelName != nil
        self.init(
            width: width, height: height, corpusName: setup.collectionName ?? setup.corpusName, corpusSize: setup.corpusSize,
            modelName: setup.modelName ?? "no model", backend: setup.backend ?? setup.problem ?? "no reranker", rerankAvailable: judging)
        k = setup.k
        keyMap = setup.keyMap
        judges = Judges(names: judging && setup.judges.count == 2 ? setup.judges : [])
        editor.presets = setup.presets
        editor.instruction = setup.instruction
        if judging, let p = setup.profile {
            profileName = p.profile.name
            profileReason = p.reason
            rank1Checkpoint = p.rank1Shaped
            fusion = setup.fusion
            // Said once at the start, where it is read whole; the status bar keeps the profile's name (and `?` the why).
            status.message = "profile \(p.profile.name): \(p.reason)"
        }
        if let problem = setup.problem {
            status.message = "BM25 only: \(problem)"
            status.isError = true
        }
        if !setup.collection.isEmpty {
            picker.collection = setup.collection
            mode = .pickingQuery
        }
        if let runs = setup.runs {
            picker.runs = runs
            mode = .pickingRunQuery
        }
    }
}
