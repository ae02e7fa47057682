/// Server-sent events, incrementally: feed bytes as they arrive, take complete events out.
/// Handles LF, CR and CRLF line ends, multi-line `data:`, comments and the other fields (ignored).
/// Our own because mattt/EventSource 1.1.1 (the mirror's SSE package) does not compile on Linux: it calls
/// URLSession.bytes, which swift-corelibs-foundation lacks.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var data: [String] = []
    private var hasData = false
    private var lastWasCR = false
    public private(set) var events: [String] = []
    /// Bytes seen so far, and whether any line was not UTF-8 or longer than `maxLine` (memory stays bounded:
    /// the rest of such a line is dropped).
    public private(set) var bytesSeen = 0
    public private(set) var invalidUTF8 = false
    public private(set) var overlong = false
    public let maxLine: Int

    public init(maxLine: Int = 1 << 20) { self.maxLine = maxLine }

    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ feed(buffer: $0) }) == nil {
            let copy = Array(bytes)
            copy.withUnsafeBufferPointer { feed(buffer: $0) }
        }
    }

    /// Line by line: the bytes up to each line end are appended at once.
    private mutating func feed(buffer b: UnsafeBufferPointer<UInt8>) {
        bytesSeen += b.count
        var i = 0
        while i < b.count {
            if lastWasCR {
                lastWasCR = false
                if b[i] == 10 {
                    i += 1
                    continue
                }
            }
            var j = i
            while j < b.count && b[j] != 10 && b[j] != 13 { j += 1 }
            let room = maxLine - line.count
            if j - i > room { overlong = true }
            if room > 0 { line.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<min(j, i + room)])) }
            guard j < b.count else { return }
            lastWasCR = b[j] == 13
            endLine()
            i = j + 1
        }
    }

    /// The events completed so far (each event's data lines joined by "\n"), removed from the parser.
    public mutating func take() -> [String] {
        defer { events.removeAll() }
        return events
    }

    /// True when bytes of an unfinished event are pending (a stream that ends here was cut short).
    public var hasPartialEvent: Bool { !line.isEmpty || hasData }

    private mutating func endLine() {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            // (vLLM's events have one data line each: no joining then)
            if hasData { events.append(data.count == 1 ? data[0] : data.joined(separator: "\n")) }
            data.removeAll()
            hasData = false
            return
        }
        if line.first == UInt8(ascii: ":") { return }  // comment
        // Only `data` matters: "data", "data:value" or "data: value".
        guard line.count >= 4, line[0..<4].elementsEqual("data".utf8), line.count == 4 || line[4] == UInt8(ascii: ":") else {
            if String(validating: line, as: UTF8.self) == nil { invalidUTF8 = true }
            return
        }
        var start = min(5, line.count)
        if start < line.count && line[start] == 32 { start += 1 }
        guard let value = SSEParser.text(line[start...]) else {
            invalidUTF8 = true
            return
        }
        data.append(value)
        hasData = true
    }

    /// The bytes as a String, nil when not UTF-8. An ASCII line (every JSON event a server sends with its default
    /// escaping) skips the generic validator, which cost as much as the rest of the line's parse.
    private static func text(_ bytes: ArraySlice<UInt8>) -> String? {
        bytes.withUnsafeBufferPointer { b in
            var ascii = true
            for c in b where c >= 0x80 {
                ascii = false
                break
            }
            return ascii ? String(decoding: b, as: UTF8.self) : String(validating: b, as: UTF8.self)
        }
    }
}
