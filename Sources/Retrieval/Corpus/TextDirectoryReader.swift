import Foundation

/// A folder of text files: one document per file, id = path relative to the folder, title = the first
/// non-empty line, text = the rest.
public struct TextDirectoryReader: DocumentSource {
    private let root: String
    private var files: [String]

    public init(path: String) throws {
        guard FileSystem.isDirectory(path) else { throw CorpusError(path, "not a directory") }
        root = path
        files = FileSystem.listFiles(path)
    }

    public mutating func next() throws -> SourceDocument? {
        guard !files.isEmpty else { return nil }
        let rel = files.removeFirst()
        let path = root + "/" + rel
        let bytes = try FileSystem.readFile(path)
        if case .failure(let bad) = checkUTF8(bytes[...]) {
            throw CorpusError(path, "invalid UTF-8 at byte \(bad.offset)")
        }
        let content = String(decoding: bytes, as: UTF8.self)
        var lines = content.split(separator: "\n", omittingEmptySubsequences: false)[...]
        while let first = lines.first, first.allSatisfy(\.isWhitespace) { lines = lines.dropFirst() }
        let title = lines.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let text = lines.dropFirst().joined(separator: "\n")
        return SourceDocument(id: rel, title: title, text: text, location: path)
    }
}
