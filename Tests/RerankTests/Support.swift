import Foundation
@testable import Rerank

enum RerankFixtures {
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
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
}
