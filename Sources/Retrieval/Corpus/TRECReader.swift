import Foundation

/// TREC SGML: `<DOC> <DOCNO>id</DOCNO> … </DOC>`, several per file; a path may be a file or a folder of
/// them. The title comes from `<TITLE>` or `<HEAD>` when present; the text is everything else with the
/// tags removed.
public struct TRECReader: DocumentSource {
    private var files: [String]
    private var lines: LineReader?
    /// Documents read from the open file: a non-empty file without any is a bad record, not a silent skip
    /// (a compressed or misnamed file in a TREC folder).
    private var documentsInFile = 0
    /// Folders that could not be listed, each reported as a bad record.
    private var unreadable: [(path: String, reason: String)] = []

    public init(path: String) throws {
        if FileSystem.isDirectory(path) {
            let (found, failures) = FileSystem.listFilesReportingFailures(path)
            files = found.map { path + "/" + $0 }
            unreadable = failures
        } else {
            guard FileSystem.exists(path) else { throw CorpusError(path, "no such file") }
            files = [path]
        }
    }

    public mutating func next() throws -> SourceDocument? {
        if let bad = unreadable.first {
            unreadable.removeFirst()
            throw CorpusError(bad.path, "cannot read folder: \(bad.reason)")
        }
        while true {
            if lines == nil {
                guard !files.isEmpty else { return nil }
                lines = try LineReader(path: files.removeFirst())
                documentsInFile = 0
            }
            if let doc = try nextInFile() {
                documentsInFile += 1
                return doc
            }
            let finished = lines!
            finished.close()
            lines = nil
            if documentsInFile == 0 && finished.lineNumber > 0 {
                throw CorpusError(finished.path, "no <DOC> … </DOC> document in this file (is it TREC SGML, uncompressed?)")
            }
        }
    }

    private mutating func nextInFile() throws -> SourceDocument? {
        guard var reader = lines else { return nil }
        defer { lines = reader }
        var body: [UInt8] = []
        var startLine = 0
        var inDoc = false
        while let line = try reader.nextLine() {
            let trimmed = line.drop(while: { $0 == 32 || $0 == 9 })
            if !inDoc {
                if trimmed.starts(with: Array("<DOC>".utf8)) || trimmed.starts(with: Array("<DOC ".utf8)) {
                    inDoc = true
                    startLine = reader.lineNumber
                }
                continue
            }
            if trimmed.starts(with: Array("</DOC>".utf8)) {
                let location = "\(reader.path):\(startLine)"
                if case .failure(let bad) = checkUTF8(body[...]) {
                    throw CorpusError(location, "invalid UTF-8 in the document at byte \(bad.offset)")
                }
                return try TRECReader.parse(String(decoding: body, as: UTF8.self), location: location)
            }
            body.append(contentsOf: line)
            body.append(10)
        }
        if inDoc { throw CorpusError("\(reader.path):\(startLine)", "<DOC> is not closed by </DOC>") }
        return nil
    }

    static func parse(_ body: String, location: String) throws -> SourceDocument {
        func element(_ name: String) -> String? {
            guard let open = body.range(of: "<\(name)>", options: .caseInsensitive),
                let close = body.range(of: "</\(name)>", options: .caseInsensitive, range: open.upperBound..<body.endIndex)
            else { return nil }
            return String(body[open.upperBound..<close.lowerBound])
        }
        guard let id = element("DOCNO")?.trimmingCharacters(in: .whitespacesAndNewlines), !id.isEmpty else {
            throw CorpusError(location, "document without <DOCNO>")
        }
        let titleTag = ["TITLE", "HEAD", "HEADLINE"].first { element($0) != nil }
        let title = titleTag.flatMap(element).map(stripTags)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var rest = body
        for tag in ["DOCNO"] + (titleTag.map { [$0] } ?? []) {
            if let open = rest.range(of: "<\(tag)>", options: .caseInsensitive),
                let close = rest.range(of: "</\(tag)>", options: .caseInsensitive, range: open.upperBound..<rest.endIndex)
            {
                rest.removeSubrange(open.lowerBound..<close.upperBound)
            }
        }
        let text = stripTags(rest).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return SourceDocument(id: id, title: title, text: text, location: location)
    }

    static func stripTags(_ s: String) -> String {
        var out = ""
        var inTag = false
        for ch in s {
            if ch == "<" {
                inTag = true
                out.append(" ")
                continue
            }
            if ch == ">" && inTag {
                inTag = false
                continue
            }
            if !inTag { out.append(ch) }
        }
        return out
    }
}
