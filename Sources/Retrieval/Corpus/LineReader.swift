#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file line by line in large chunks with read(2); a line may be any length.
public struct LineReader {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    public private(set) var lineNumber = 0

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY)
        if fd < 0 { throw CorpusError(path, "cannot open: \(String(cString: strerror(errno)))") }
    }

    public func close() { _ = Glibc.close(fd) }

    /// A file whose lines end in a lone "\r" (old Mac style): once seen, lines are looked for by "\r" alone, so
    /// such a file is read in one pass too.
    private var crOnly = false

    /// The next line without its "\n", "\r\n" or lone "\r", or nil at the end of the file. Throws when the file
    /// cannot be read (a directory, an I/O error): never an early end that looks like a short file.
    public mutating func nextLine() throws -> ArraySlice<UInt8>? {
        while true {
            if !crOnly, let nl = buffer[start...].firstIndex(of: 10) {
                var end = nl
                if end > start, buffer[end - 1] == 13 { end -= 1 }
                // A lone "\r" before the "\n" ends a line of its own.
                if let cr = buffer[start..<end].firstIndex(of: 13) {
                    let line = buffer[start..<cr]
                    start = cr + 1
                    lineNumber += 1
                    return line
                }
                let line = buffer[start..<end]
                start = nl + 1
                lineNumber += 1
                return line
            }
            // No "\n" in what is buffered: a "\r" with something after it (or at the end of the file) ends a line.
            if let cr = buffer[start...].firstIndex(of: 13), cr + 1 < buffer.count || eof {
                if cr + 1 < buffer.count && buffer[cr + 1] == 10 {
                    crOnly = false
                    continue  // "\r\n" after all: the branch above takes it
                }
                crOnly = true
                let line = buffer[start..<cr]
                start = cr + 1
                lineNumber += 1
                return line
            }
            if eof {
                if start < buffer.count {
                    let line = buffer[start...]
                    start = buffer.count
                    lineNumber += 1
                    return line
                }
                return nil
            }
            // Keep the unfinished line, read more behind it.
            if start > 0 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            let chunk = 1 << 20
            let old = buffer.count
            buffer.reserveCapacity(old + chunk)
            buffer.append(contentsOf: repeatElement(0, count: chunk))
            var got: Int
            repeat { got = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + old, chunk) } } while got < 0 && errno == EINTR
            let failure = errno
            buffer.removeSubrange((old + max(got, 0))...)
            if got < 0 { throw CorpusError(path, "cannot read after line \(lineNumber): \(String(cString: strerror(failure)))") }
            if got == 0 { eof = true }
        }
    }
}

/// Valid UTF-8 → String; otherwise a message with the byte offset of the first bad sequence.
func decodeUTF8(_ bytes: ArraySlice<UInt8>) -> Result<String, UTF8Problem> {
    var it = bytes.makeIterator()
    var decoder = UTF8()
    var offset = 0
    var consumed = 0
    loop: while true {
        switch decoder.decode(&it) {
        case .scalarValue(let s):
            consumed += UTF8.width(s)
            offset = consumed
        case .emptyInput: break loop
        case .error: return .failure(UTF8Problem(offset: offset))
        }
    }
    return .success(String(decoding: bytes, as: UTF8.self))
}

struct UTF8Problem: Error { var offset: Int }
