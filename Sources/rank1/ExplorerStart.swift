import ArgumentParser
import Explorer
import Foundation
import Rerank

/// The explorer's start: its setup (the first state) and the judging settings every rerank job starts from, made
/// from the command's options, the prepared engine and the shipped assets. Everything that can be wrong with them
/// (a preset without FILL_QUERY_HERE, a broken key map) is said before the screen opens.
struct ExplorerStart {
    var setup: ExplorerSetup
    var settings: RerankRequest

    /// `automatic`: the engine's profile choice (nil without an engine, whose `problem` says why).
    static func make(
        judge: JudgeOptions, engine: (any Reranker)?, automatic: ProfileChoice?, problem: String? = nil, corpusName: String,
        corpusSize: Int, k: Int, keymap: String?
    ) throws -> ExplorerStart {
        var setup = ExplorerSetup(corpusName: corpusName, corpusSize: corpusSize)
        setup.k = k
        setup.problem = problem
        // A broken preset (no FILL_QUERY_HERE, unreadable) is left out of the list, and said why.
        setup.presets = Presets.names().compactMap { n -> Preset? in
            do { return Preset(name: n, template: try Presets.load(n)) } catch {
                printError("rank1: preset \(n) left out: \(error)")
                return nil
            }
        }
        do {
            setup.keyMap = try KeyMap.read(shipped: RuntimeDiscovery.projectRoot() + "/Assets/keymap.json", user: keymap)
        } catch {
            printError("rank1: \(error)")
            throw ExitCode.failure
        }
        // Judging settings and the starting instruction (--instruction / --preset), checked here.
        let chosen = try judge.choice(automatic: automatic ?? ProfileChoice(profile: .rank1, reason: "", rank1Shaped: nil))
        var settings = try judge.request(query: "", passages: [], automatic: chosen.profile, inProcess: engine is LlamaReranker)
        settings.profile = chosen.profile
        setup.instruction = settings.instruction ?? ""
        if let engine, automatic != nil {
            setup.modelName = engine.modelName
            setup.backend = engine.backendName
            setup.profile = chosen
            setup.fusion = try judge.fusion(profile: chosen.profile)
        }
        return ExplorerStart(setup: setup, settings: settings)
    }
}
