import ArgumentParser
import Foundation
import Retrieval

struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a BM25 index from a corpus (streaming; the previous index stays usable until the new one is complete).")

    @Argument(help: "Corpus: a BEIR folder or corpus.jsonl, a JSONL file, a TREC file or folder, a TSV file, or a folder of text files.")
    var corpus: String

    @Option(help: "Index directory.") var out: String

    @Option(help: "Corpus format (default: guessed from the path).")
    var format: CorpusFormat?

    @Option(name: .customLong("id-field"), help: "JSONL: id field.") var idField = "_id"
    @Option(name: .customLong("title-field"), help: "JSONL: title field (empty for none).") var titleField = "title"
    @Option(name: .customLong("text-field"), help: "JSONL: text field.") var textField = "text"

    @Flag(help: "Skip malformed records (reported at the end) instead of stopping at the first.")
    var skipBad = false

    @Option(help: "Posting memory before spilling to disk, in MiB.") var memoryMb = 256

    @Option(
        help: ArgumentHelp(
            "What to keep of each document: text (ids, titles and texts: needed to show and rerank) or none (ids only, as a Lucene docs-and-freqs index: search only, smaller).",
            valueName: "text|none"))
    var store = StoreArgument.text

    @Flag(help: "Print nothing but errors.") var quiet = false

    @Flag(help: "Write an index even when the corpus gives no document (by default that is an error: nothing was indexed).")
    var allowEmpty = false

    func validate() throws {
        guard memoryMb >= 1 else { throw ValidationError("--memory-mb must be at least 1, got \(memoryMb)") }
    }

    func run() throws {
        try reportingErrors {
            let fmt = format ?? CorpusFormat.detect(path: corpus)
            guard FileSystem.exists(corpus) else { throw IndexError.badInput("\(corpus): no such file or directory") }
            let fields = JSONLFields(id: idField, title: titleField.isEmpty ? nil : titleField, text: textField)
            var source = try openCorpus(path: corpus, format: fmt, fields: fields)
            var options = IndexBuildOptions()
            options.memoryBudgetBytes = memoryMb << 20
            options.source = "\(fmt.rawValue):\(corpus)"
            options.storeText = store == .text
            let writer = try IndexWriter(directory: out, options: options)
            var skipped: [CorpusError] = []
            let start = monotonicSeconds()
            var lastReport = start
            do {
                while true {
                    do {
                        guard let doc = try source.next() else { break }
                        try writer.add(doc)
                    } catch let e as CorpusError {
                        if !skipBad {
                            throw IndexError.badInput("\(e.description)\n(nothing was written; use --skip-bad to skip bad records)")
                        }
                        skipped.append(e)
                    }
                    if !quiet, writer.documentCount % 16384 == 0 {
                        let now = monotonicSeconds()
                        if now - lastReport > 1 {
                            lastReport = now
                            printError("indexed \(writer.documentCount) documents (\(Int(Double(writer.documentCount) / (now - start))) docs/s)")
                        }
                    }
                }
                if writer.documentCount == 0 && !allowEmpty {
                    // Nothing to search is a mistake far more often than a wish: say so, write nothing.
                    let why =
                        skipped.isEmpty
                        ? "the corpus holds no document"
                        : "every record (\(skipped.count)) was skipped as bad; the first: \(skipped[0].description)"
                    throw IndexError.badInput("\(corpus): \(why)\n(nothing was written; --allow-empty writes an empty index)")
                }
                let report = try writer.finish()
                let secs = monotonicSeconds() - start
                if !quiet {
                    printError(
                        "indexed \(report.documents) documents (\(report.documentsWithTerms) with terms), \(report.terms) terms, \(report.tokens) tokens in \(String(format: "%.2f", secs)) s → \(report.path) (\(report.bytes / 1024) KiB)"
                    )
                }
                if !skipped.isEmpty {
                    printError("skipped \(skipped.count) bad record\(skipped.count == 1 ? "" : "s"):")
                    for e in skipped.prefix(50) { printError("  \(e.description)") }
                    if skipped.count > 50 { printError("  … and \(skipped.count - 50) more") }
                }
            } catch {
                writer.abandon()
                throw error
            }
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Verify every checksum of an index.")
    @Argument(help: "Index directory.") var index: String
    func run() throws {
        try reportingErrors {
            let r = try IndexReader(directory: index)
            try r.verifyAll()
            print("\(r.path): OK (\(r.documentCount) documents, \(r.termCount) terms, \(r.fileSize) bytes)")
        }
    }
}
