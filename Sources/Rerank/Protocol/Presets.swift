import Foundation

/// Instruction presets: the project's own (Assets/presets/<name>.txt, each a template with FILL_QUERY_HERE)
/// and the reference implementation's dataset prompts (Assets/presets/paper_prompts.json, bytes unchanged).
public enum Presets {
    public static func directory(root: String = RuntimeDiscovery.projectRoot()) -> String { root + "/Assets/presets" }

    /// Every preset name: the project's, then the paper's keys.
    public static func names(root: String = RuntimeDiscovery.projectRoot()) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory(root: root))) ?? []
        let own = files.filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }.sorted()
        return own + ((try? paper(root: root).prompts.keys.sorted()) ?? [])
    }

    public static func load(_ name: String, root: String = RuntimeDiscovery.projectRoot()) throws -> String {
        let path = directory(root: root) + "/" + name + ".txt"
        if FileManager.default.fileExists(atPath: path) {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw RerankError("\(path): cannot be read as UTF-8 text")
            }
            // One trailing newline is the file's, not the template's (editors add it).
            let template = text.hasSuffix("\n") ? String(text.dropLast()) : text
            if let problem = Rank1Prompt.validate(instruction: template) { throw RerankError("\(path): \(problem)") }
            return template
        }
        let paper = try? paper(root: root)
        if let paper, let key = paper.prompts.keys.first(where: { $0.lowercased() == name.lowercased() }) {
            return paper.prompts[key]!  // byte for byte, trailing newlines included
        }
        throw RerankError("no preset \"\(name)\" (have: \(names(root: root).joined(separator: ", ")))")
    }

    /// The reference's prompts (orionw/rank1 prompts.py, MIT; see Assets/presets/PAPER_PROMPTS.md).
    public struct PaperPrompts: Decodable, Sendable {
        public var source: String
        public var prompts: [String: String]
        public var sha256: [String: String]

        /// The reference's lookup: `task_subtask` if present, else `task`; nil: the bare query is used.
        public func prompt(task: String, subtask: String? = nil) -> (key: String, text: String)? {
            if let subtask, let t = prompts[task + "_" + subtask] { return (task + "_" + subtask, t) }
            return prompts[task].map { (task, $0) }
        }
    }

    public static func paper(root: String = RuntimeDiscovery.projectRoot()) throws -> PaperPrompts {
        let path = directory(root: root) + "/paper_prompts.json"
        guard let data = FileManager.default.contents(atPath: path) else { throw RerankError("missing \(path)") }
        do { return try JSONDecoder().decode(PaperPrompts.self, from: data) } catch {
            throw RerankError("\(path): not the reference's prompt file (\(error))")
        }
    }

    /// The reference's task name for a collection folder (BEIR and BRIGHT names as distributed), so an
    /// evaluation of a known collection gets the prompt the paper used; nil for collections it has none for.
    public static func paperTask(collection: String) -> (task: String, subtask: String?)? {
        let name = collection.lowercased()
        let beir = [
            "scifact": "SciFact", "climate-fever": "ClimateFEVER", "trec-covid": "TRECCOVID", "arguana": "ArguAna",
            "dbpedia-entity": "DBPedia", "fiqa": "FiQA2018", "nfcorpus": "NFCorpus", "webis-touche2020": "Touche2020",
            "scidocs": "SCIDOCS",
        ]
        if let t = beir[name] { return (t, nil) }
        let bright = [
            "biology", "earth_science", "economics", "psychology", "robotics", "stackoverflow", "sustainable_living",
            "pony", "leetcode", "aops", "theoremqa_theorems", "theoremqa_questions",
        ]
        for b in bright where name == b || name == "bright-" + b || name == "bright_" + b { return ("BrightRetrieval", b) }
        return nil
    }
}
