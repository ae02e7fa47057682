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

    /// The next line without its "\n" (and "\r"), or nil at the end of the file.
    public mutating func nextLine() -> ArraySlice<UInt8>? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 10) {
                var end = nl
                if end > start, buffer[end - 1] == 13 { end -= 1 }
                let line = buffer[start..<end]
                start = nl + 1
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
            let got = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + old, chunk) }
            buffer.removeSubrange((old + max(got, 0))...)
            if got <= 0 { eof = true }
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
