/// One document as a corpus reader yields it, with where it came from for error messages.
public struct SourceDocument: Sendable, Equatable {
    public var id: String
    public var title: String
    public var text: String
    /// "file:line" (or just the file for whole-file formats).
    public var location: String

    public init(id: String, title: String, text: String, location: String = "") {
        self.id = id
        self.title = title
        self.text = text
        self.location = location
    }

    /// The text that is analyzed and scored: title + " " + text (just text without a title).
    public var scoringText: String { title.isEmpty ? text : title + " " + text }
}

/// A bad record: what was wrong and where.
public struct CorpusError: Error, CustomStringConvertible, Sendable {
    public var location: String
    public var message: String
    public init(_ location: String, _ message: String) {
        self.location = location
        self.message = message
    }
    public var description: String { "\(location): \(message)" }
}

/// A streaming reader: yields one document at a time and never holds the corpus.
public protocol DocumentSource {
    /// The next document, nil at the end. Throws `CorpusError` for a bad record; the reader can go on
    /// after that (a caller that skips bad records calls `next()` again).
    mutating func next() throws -> SourceDocument?
}

public enum CorpusFormat: String, CaseIterable, Sendable {
    case beir, jsonl, trec, tsv, text

    /// Guesses the format from a path: a directory of text files, a BEIR folder or .jsonl, TREC, TSV.
    public static func detect(path: String) -> CorpusFormat {
        if FileSystem.isDirectory(path) {
            return FileSystem.exists(path + "/corpus.jsonl") ? .beir : .text
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".json") { return .beir }
        if lower.hasSuffix(".tsv") || lower.hasSuffix(".tab") { return .tsv }
        return .trec
    }
}

/// Field names for JSONL corpora. BEIR is `_id`, `title`, `text`.
public struct JSONLFields: Sendable {
    public var id: String
    public var title: String?
    public var text: String
    public init(id: String = "_id", title: String? = "title", text: String = "text") {
        self.id = id
        self.title = title
        self.text = text
    }
    public static let beir = JSONLFields()
}

/// Opens a reader for `path` in `format`.
public func openCorpus(path: String, format: CorpusFormat, fields: JSONLFields = .beir) throws -> any DocumentSource {
    switch format {
    case .beir:
        let file = FileSystem.isDirectory(path) ? path + "/corpus.jsonl" : path
        return try JSONLReader(path: file, fields: fields)  // BEIR's names unless the caller names others
    case .jsonl: return try JSONLReader(path: path, fields: fields)
    case .trec: return try TRECReader(path: path)
    case .tsv: return try TSVReader(path: path)
    case .text: return try TextDirectoryReader(path: path)
    }
}
