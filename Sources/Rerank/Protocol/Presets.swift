import Foundation

/// Instruction presets: Assets/presets/<name>.txt, each a template with FILL_QUERY_HERE.
public enum Presets {
    public static func directory(root: String = RuntimeDiscovery.projectRoot()) -> String { root + "/Assets/presets" }

    public static func names(root: String = RuntimeDiscovery.projectRoot()) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory(root: root))) ?? []
        return files.filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }.sorted()
    }

    public static func load(_ name: String, root: String = RuntimeDiscovery.projectRoot()) throws -> String {
        let path = directory(root: root) + "/" + name + ".txt"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RerankError("no preset \"\(name)\" (have: \(names(root: root).joined(separator: ", ")))")
        }
        let template = text.hasSuffix("\n") ? String(text.dropLast()) : text
        if let problem = Rank1Prompt.validate(instruction: template) { throw RerankError("\(path): \(problem)") }
        return template
    }
}
