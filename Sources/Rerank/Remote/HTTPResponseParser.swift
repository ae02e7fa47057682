import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An HTTP/1.1 response read incrementally, one per request on a kept-alive connection: the status line and
/// headers, then the body by Content-Length, chunked encoding or until the connection closes. Informational (1xx)
/// answers are passed over. Our own rather than NIO's HTTP decoder and its pipeline stage: that cost more per
/// streamed token than the rest of the transport (`rank1 bench client`); this one is all the client needs.
struct HTTPResponseParser {
    private enum Body {
        case length(Int)
        case chunked, untilClose
    }
    private enum Chunk {
        case size
        case data(Int)
        case dataEnd, trailer
    }
    private var head: [UInt8] = []
    private var body: Body?
    private var chunk = Chunk.size
    private var line: [UInt8] = []
    private(set) var status = 0
    /// Whether the connection may carry the next request once this response ends.
    private(set) var keepAlive = false
    /// The Location header (a redirect's target), if any.
    private(set) var location: String?
    /// Body bytes of this feed, handed over once per feed (one hand-over per read, however many chunks it held).
    private var received: [UInt8] = []
    static let maxHead = 64 << 10
    static let maxLine = 4096

    /// Whether the head has been read (the status is known).
    var hasHead: Bool { body != nil }

    /// Feeds received bytes; `deliver` gets the body bytes, with the status. Returns the number of bytes used when
    /// the response ended in them, nil while it goes on.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, deliver: (UnsafeBufferPointer<UInt8>, Int) -> Void) throws -> Int? {
        let all = bytes.bindMemory(to: UInt8.self)
        var i = 0
        while body == nil {
            // Only the new bytes (and the 3 before them) can complete "\r\n\r\n": a head that arrives in small
            // pieces is scanned once, not once per piece.
            let from = max(0, head.count - 3)
            let before = head.count
            head.append(contentsOf: UnsafeBufferPointer(rebasing: all[i...]))
            guard let end = HTTPResponseParser.headEnd(head, from: from) else {
                if head.count > HTTPResponseParser.maxHead { throw URLError(.badServerResponse) }
                return nil
            }
            i += end + 4 - before
            let informational = try parseHead(head[..<end])
            head.removeAll(keepingCapacity: true)
            if informational {
                body = nil
                continue
            }
            if body == nil { return i }  // no body (204, 304)
        }
        let used = try consume(UnsafeBufferPointer(rebasing: all[i...]))
        if !received.isEmpty {
            let status = status
            received.withUnsafeBufferPointer { deliver($0, status) }
            received.removeAll(keepingCapacity: true)
        }
        return used.map { i + $0 }
    }

    /// The connection closed: true when that ends the response (a body that runs until close), else it was cut.
    func endsAtClose() -> Bool {
        if case .untilClose? = body { return true }
        return false
    }

    private static func headEnd(_ b: [UInt8], from: Int) -> Int? {
        var i = from
        while i + 3 < b.count {
            if b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    /// Reads the status line and headers; true for an informational (1xx) answer, which another head follows.
    private mutating func parseHead(_ bytes: ArraySlice<UInt8>) throws -> Bool {
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let code = Int(parts[1]) else {
            throw URLError(.badServerResponse, userInfo: [NSLocalizedDescriptionKey: "not an HTTP/1.x status line: \(lines[0].prefix(80))"])
        }
        status = code
        if (100..<200).contains(code) { return true }
        var length: Int?
        var chunked = false
        var connection = ""
        for l in lines.dropFirst() {
            guard let colon = l.firstIndex(of: ":") else { continue }
            let name = l[..<colon].lowercased()
            let value = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length":
                // Digits only, and one length: a response that frames itself two ways cannot be read safely.
                guard !value.isEmpty, value.utf8.allSatisfy({ (48...57).contains($0) }), let n = Int(value), length == nil || length == n else {
                    throw URLError(.badServerResponse)
                }
                length = n
            case "location": location = value
            case "transfer-encoding": if value.lowercased().contains("chunked") { chunked = true }
            case "connection": connection = value.lowercased()
            default: break
            }
        }
        let http11 = parts[0] != "HTTP/1.0"
        keepAlive = http11 ? !connection.contains("close") : connection.contains("keep-alive")
        // Chunked wins over a length (RFC 9112 6.3), and such a connection is not trusted with another request.
        if chunked && length != nil { keepAlive = false }
        if code == 204 || code == 304 || length == 0 && !chunked {
            body = nil
            return false
        }
        body = chunked ? .chunked : length.map { .length($0) } ?? .untilClose
        if case .untilClose = body { keepAlive = false }
        return false
    }

    private mutating func emit(_ b: UnsafeBufferPointer<UInt8>) {
        if !b.isEmpty { received.append(contentsOf: b) }
    }

    /// Body bytes; the number used when the body ended in them, nil while it goes on.
    private mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>) throws -> Int? {
        switch body! {
        case .untilClose:
            emit(bytes)
            return nil
        case .length(let left):
            let take = min(left, bytes.count)
            emit(UnsafeBufferPointer(rebasing: bytes[..<take]))
            body = .length(left - take)
            return left - take == 0 ? take : nil
        case .chunked:
            var i = 0
            while i < bytes.count {
                switch chunk {
                case .size, .trailer, .dataEnd:
                    let b = bytes[i]
                    i += 1
                    if b != 10 {
                        if b != 13 { line.append(b) }
                        if line.count > HTTPResponseParser.maxLine { throw URLError(.badServerResponse) }
                        continue
                    }
                    defer { line.removeAll(keepingCapacity: true) }
                    switch chunk {
                    case .size:
                        guard let n = HTTPResponseParser.chunkSize(line) else { throw URLError(.badServerResponse) }
                        chunk = n == 0 ? .trailer : .data(n)
                    case .dataEnd:
                        guard line.isEmpty else { throw URLError(.badServerResponse) }
                        chunk = .size
                    case .trailer:
                        if line.isEmpty { return i }
                    case .data: break
                    }
                case .data(let left):
                    let take = min(left, bytes.count - i)
                    emit(UnsafeBufferPointer(rebasing: bytes[i..<(i + take)]))
                    i += take
                    chunk = left - take == 0 ? .dataEnd : .data(left - take)
                }
            }
            return nil
        }
    }

    /// A chunk-size line: hex digits, optional spaces, optional `;extensions`.
    static func chunkSize(_ line: [UInt8]) -> Int? {
        var n = 0
        var digits = 0
        for b in line {
            guard let d = hexDigit(b) else {
                switch b {
                case 32, 9: if digits == 0 { continue } else { return n }
                case UInt8(ascii: ";"): return digits > 0 ? n : nil
                default: return nil
                }
            }
            guard digits < 15 else { return nil }
            n = n << 4 | d
            digits += 1
        }
        return digits > 0 ? n : nil
    }
}

/// The value of an ASCII hex digit (JSON's \u escapes, chunk sizes); nil for any other byte.
func hexDigit(_ b: UInt8) -> Int? {
    switch b {
    case 48...57: return Int(b) - 48
    case 65...70: return Int(b) - 55
    case 97...102: return Int(b) - 87
    default: return nil
    }
}
