import Foundation

/// A folder of text files: one document per file, id = path relative to the folder, title = the first
/// non-empty line, text = the rest.
public struct TextDirectoryReader: DocumentSource {
    private let root: String
    private var files: [String]
    private var index = 0
    /// Folders that could not be listed: each is reported as a bad record (an error, or skipped and listed with
    /// --skip-bad), never left out without a word.
    private var unreadable: [(path: String, reason: String)]

    public init(path: String) throws {
        guard FileSystem.isDirectory(path) else { throw CorpusError(path, "not a directory") }
        root = path
        (files, unreadable) = FileSystem.listFilesReportingFailures(path)
    }

    public mutating func next() throws -> SourceDocument? {
        if let bad = unreadable.first {
            unreadable.removeFirst()
            throw CorpusError(bad.path, "cannot read folder: \(bad.reason)")
        }
        guard index < files.count else { return nil }
        let rel = files[index]
        index += 1
        let path = root + "/" + rel
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch let e as IndexError {
            throw CorpusError(path, "cannot read: \(e)")
        }
        if case .failure(let bad) = checkUTF8(bytes[...]) {
            throw CorpusError(path, "invalid UTF-8 at byte \(bad.offset)")
        }
        let content = String(decoding: bytes, as: UTF8.self)
        // Any line end (a Windows file's "\r\n" is one Character, not "\n"): else its title would be the whole file.
        var lines = content.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)[...]
        while let first = lines.first, first.allSatisfy(\.isWhitespace) { lines = lines.dropFirst() }
        let title = lines.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let text = lines.dropFirst().joined(separator: "\n")
        return SourceDocument(id: rel, title: title, text: text, location: path)
    }
}
