/// One JSON object per line (BEIR `corpus.jsonl`, or any JSONL with configurable field names).
/// Blank lines are ignored; a bad line throws with its file:line and the reader continues after it.
public struct JSONLReader: DocumentSource {
    private var lines: LineReader
    private let fields: JSONLFields
    private let wanted: [String]

    public init(path: String, fields: JSONLFields) throws {
        lines = try LineReader(path: path)
        self.fields = fields
        wanted = [fields.id, fields.text] + (fields.title.map { [$0] } ?? [])
    }

    public mutating func next() throws -> SourceDocument? {
        while let line = try lines.nextLine() {
            if line.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
            let location = "\(lines.path):\(lines.lineNumber)"
            if case .failure(let bad) = checkUTF8(line) {
                throw CorpusError(location, "invalid UTF-8 at byte \(bad.offset) of the line")
            }
            let object: [String: String]
            do {
                object = try line.withUnsafeBufferPointer { try FlatJSON.parseObject($0, wanted: wanted) }
            } catch let f as FlatJSON.Failure {
                throw CorpusError(location, "malformed JSON at column \(f.offset + 1): \(f.message)")
            }
            guard let id = object[fields.id], !id.isEmpty else {
                throw CorpusError(location, "missing document id field \"\(fields.id)\"")
            }
            let title = fields.title.flatMap { object[$0] } ?? ""
            // A missing text field is an error (a misnamed --text-field would index titles only); an empty one is not.
            guard let text = object[fields.text] else {
                throw CorpusError(location, "no text field \"\(fields.text)\" (--text-field names another)")
            }
            return SourceDocument(id: id, title: title, text: text, location: location)
        }
        return nil
    }
}

/// Checks UTF-8 validity without building a String (the fast path is a whole-slice validation).
func checkUTF8(_ bytes: ArraySlice<UInt8>) -> Result<Void, UTF8Problem> {
    if bytes.allSatisfy({ $0 < 0x80 }) { return .success(()) }
    if String(validating: bytes, as: UTF8.self) != nil { return .success(()) }
    switch decodeUTF8(bytes) {
    case .success: return .success(())
    case .failure(let p): return .failure(p)
    }
}
