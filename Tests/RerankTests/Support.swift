import Foundation

@testable import Rerank

enum RerankFixtures {
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
    /// ../shared next to the package (or $RANK1_SHARED, as scripts/test.sh sets it).
    static var sharedData: String { ProcessInfo.processInfo.environment["RANK1_SHARED"] ?? packageRoot + "/../shared" }
    static var sitePackages: String? { RuntimeDiscovery.sitePackages(root: packageRoot).first }
    static var libraryPath: String { RuntimeDiscovery.libraryPath(root: packageRoot) }
    static func model(_ name: String) -> String { RuntimeDiscovery.modelPath(explicit: name, root: packageRoot) }

    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "rank1-rr-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @discardableResult
    static func sh(_ command: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Collects a job's events.
    static func events(_ engine: some Reranker, _ request: RerankRequest) async -> [RerankEvent] {
        var out: [RerankEvent] = []
        for await e in engine.start(request) { out.append(e) }
        return out
    }

    /// The verdicts among a job's events, by passage.
    static func verdicts(_ events: [RerankEvent]) -> [Verdict] {
        events.compactMap { if case .verdict(let v) = $0 { v } else { nil } }.sorted { $0.passage < $1.passage }
    }

    /// A scifact passage from ../shared/corpora (title, text).
    static func scifact(_ id: String) throws -> Passage {
        let path = sharedData + "/corpora/scifact/corpus.jsonl"
        guard let data = FileManager.default.contents(atPath: path) else { throw RerankError("\(path) is missing") }
        for line in data.split(separator: UInt8(ascii: "\n")) where line.contains(Array("\"\(id)\"".utf8)) {
            if let o = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], o["_id"] as? String == id {
                return Passage(id: id, title: o["title"] as? String ?? "", text: o["text"] as? String ?? "")
            }
        }
        throw RerankError("no passage \(id) in \(path)")
    }
}
