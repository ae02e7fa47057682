/// Tab-separated: `id<TAB>text` or `id<TAB>title<TAB>text`. A first line `id<TAB>…` naming columns is
/// taken as a header and skipped.
public struct TSVReader: DocumentSource {
    private var lines: LineReader

    public init(path: String) throws { lines = try LineReader(path: path) }

    public mutating func next() throws -> SourceDocument? {
        while let line = try lines.nextLine() {
            if line.isEmpty { continue }
            let location = "\(lines.path):\(lines.lineNumber)"
            if case .failure(let bad) = checkUTF8(line) {
                throw CorpusError(location, "invalid UTF-8 at byte \(bad.offset) of the line")
            }
            let cols = line.split(separator: 9, maxSplits: 2, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            if lines.lineNumber == 1, ["id", "_id", "docid", "doc_id"].contains(cols[0].lowercased()) { continue }
            guard cols.count >= 2 else {
                throw CorpusError(location, "expected id<TAB>text or id<TAB>title<TAB>text, found no tab")
            }
            guard !cols[0].isEmpty else { throw CorpusError(location, "empty document id") }
            if cols.count == 2 { return SourceDocument(id: cols[0], title: "", text: cols[1], location: location) }
            return SourceDocument(id: cols[0], title: cols[1], text: cols[2], location: location)
        }
        return nil
    }
}
