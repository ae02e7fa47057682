import Foundation

@testable import Retrieval

/// Paths and helpers shared by the tests.
enum Fixtures {
    /// ../shared next to the package (or $RANK1_SHARED).
    static var shared: String {
        if let env = ProcessInfo.processInfo.environment["RANK1_SHARED"] { return env }
        let pkg = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return pkg.deletingLastPathComponent().appendingPathComponent("shared").path
    }

    static func corpus(_ name: String) -> String { shared + "/corpora/" + name }

    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// The rank1 binary the tests drive as a user would ($RANK1_BIN, else the debug build).
    static var binary: String {
        if let env = ProcessInfo.processInfo.environment["RANK1_BIN"] { return env }
        return packageRoot + "/.build/debug/rank1"
    }

    static func tempDir(_ tag: String = "t") -> String {
        let dir = NSTemporaryDirectory() + "rank1-test-\(tag)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ text: String, to path: String) {
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func buildIndex(_ docs: [SourceDocument], in dir: String, budget: Int = 256 << 20) throws -> IndexReader {
        var options = IndexBuildOptions()
        options.memoryBudgetBytes = budget
        let w = try IndexWriter(directory: dir, options: options)
        for d in docs { try w.add(d) }
        try w.finish()
        return try IndexReader(directory: dir)
    }

    /// Runs a command, returning status, stdout and stderr.
    @discardableResult
    static func run(_ args: [String], stdin: String? = nil) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        let out = Pipe()
        let err = Pipe()
        let inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let s = stdin { inp.fileHandleForWriting.write(Data(s.utf8)) }
        try inp.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
