import ArgumentParser
import Foundation
import Retrieval

/// The explorer. Until the curses interface lands this is a line-mode search loop.
struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open the explorer (line mode: type a query, see the BM25 ranking).")

    @Option(help: "Index directory (default: the Debian corpus index built by setup).")
    var index: String?
    @Option(help: "Hits to show.") var k = 10

    static func defaultIndex() -> String {
        if let env = ProcessInfo.processInfo.environment["RANK1_INDEX"] { return env }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // .build/release/rank1 → project root
        let root = exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".index/debian").path
    }

    func run() throws {
        try reportingErrors {
            let dir = index ?? Explore.defaultIndex()
            guard FileSystem.exists(dir + "/" + IndexFormat.fileName) else {
                throw IndexError.badInput("no index at \(dir); run scripts/setup.sh (builds the Debian corpus index) or pass --index DIR")
            }
            let reader = try IndexReader(directory: dir)
            let searcher = try Searcher(index: reader)
            print("Rank1 Explorer (line mode) — \(reader.documentCount) passages in \(dir)")
            print("Type a query and Enter; an empty line or Ctrl-D quits.")
            while true {
                print("query> ", terminator: "")
                fflush(nil)
                guard let line = readLine(), !line.trimmingCharacters(in: .whitespaces).isEmpty else { break }
                let t0 = monotonicSeconds()
                let hits = try searcher.search(line, k: k)
                let ms = (monotonicSeconds() - t0) * 1000
                for (i, h) in hits.enumerated() {
                    let d = try reader.document(h.doc)
                    print(String(format: "%2d  %7.3f  %@  %@", i + 1, h.score, d.id, String(d.title.prefix(70))))
                }
                print(String(format: "%d hits in %.2f ms", hits.count, ms))
            }
        }
    }
}
