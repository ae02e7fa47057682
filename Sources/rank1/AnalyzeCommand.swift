import ArgumentParser
import Foundation
import Retrieval

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the index terms of some text (tokenize, possessives, lowercase, stopwords, Porter).",
        discussion: "With --text, analyzes that text; otherwise each stdin line, printing its terms space-separated on one line.")

    @Option(help: "Text to analyze.") var text: String?
    @Flag(help: "Show each raw token beside its term.") var tokens = false

    func run() throws {
        let analyzer = EnglishAnalyzer()
        let out = Output.standard
        func show(_ line: String) {
            if tokens {
                let bytes = Array(line.utf8)
                let parts = analyzer.rawTokens(line).map { t in
                    "\(String(decoding: bytes[t.range], as: UTF8.self))→\(t.term ?? "∅")"
                }
                out.write(parts.joined(separator: " ") + "\n")
            } else {
                out.write(analyzer.terms(line).joined(separator: " ") + "\n")
            }
        }
        if let t = text { show(t) } else { while let line = readLine() { show(line) } }
        out.flush()
    }
}
