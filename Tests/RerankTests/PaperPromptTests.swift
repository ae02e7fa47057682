import CSupport
import Foundation
import Testing

@testable import Rerank

/// The reference's dataset prompts ship byte for byte, and are looked up as the reference does.
struct PaperPromptTests {
    static let shared = RerankFixtures.sharedData + "/rank1/paper_prompts.json"

    @Test func everyPaperPromptIsByteIdenticalToTheSharedFile() throws {
        let data = try #require(FileManager.default.contents(atPath: PaperPromptTests.shared))
        let reference = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let prompts = try #require(reference["prompts"] as? [String: String])
        let sums = try #require(reference["sha256"] as? [String: String])
        let shipped = try Presets.paper(root: RerankFixtures.packageRoot)
        #expect(prompts.count == 15 && shipped.prompts.count == prompts.count)
        for (key, text) in prompts {
            let loaded = try Presets.load(key, root: RerankFixtures.packageRoot)
            #expect(Array(loaded.utf8) == Array(text.utf8), "\(key) differs from the shared file")
            #expect(sha256(loaded) == sums[key], "\(key): sha256 differs")
        }
        #expect(shipped.source.contains("MIT") && shipped.source.contains("Orion Weller"))
    }

    @Test func lookupIsTheReferences() throws {
        let p = try Presets.paper(root: RerankFixtures.packageRoot)
        #expect(p.prompt(task: "BrightRetrieval", subtask: "pony")?.key == "BrightRetrieval_pony")
        #expect(p.prompt(task: "BrightRetrieval", subtask: "biology")?.key == "BrightRetrieval")
        #expect(p.prompt(task: "NevIR") == nil)
        #expect(Presets.paperTask(collection: "scifact")?.task == "SciFact")
        #expect(Presets.paperTask(collection: "cranfield") == nil)
        let filled = Rank1Prompt.filledQuery(query: "Q", instruction: p.prompts["TRECCOVID"])
        #expect(filled == "Q If the article answers any part of the question it is relevant.")
        #expect(Rank1Prompt.joined(query: "q", instruction: "i") == "q i" && Rank1Prompt.joined(query: "q", instruction: "q") == "q")
    }

    func sha256(_ s: String) -> String {
        let r = try? RerankFixtures.sh("printf '%s' '\(s.replacingOccurrences(of: "'", with: "'\\''"))' | sha256sum")
        return String(r?.output.prefix(64) ?? "")
    }
}
