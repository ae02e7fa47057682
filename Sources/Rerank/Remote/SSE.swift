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
        for b in bytes {
            bytesSeen += 1
            if b == 10 && lastWasCR { lastWasCR = false; continue }
            lastWasCR = b == 13
            if b == 10 || b == 13 {
                endLine()
            } else if line.count < maxLine {
                line.append(b)
            } else {
                overlong = true
            }
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
            if hasData { events.append(data.joined(separator: "\n")) }
            data.removeAll()
            hasData = false
            return
        }
        if line.first == UInt8(ascii: ":") { return }  // comment
        guard let text = String(validating: line, as: UTF8.self) else {
            invalidUTF8 = true
            return
        }
        let field: Substring, value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            var v = text[text.index(after: colon)...]
            if v.first == " " { v = v.dropFirst() }
            value = v
        } else {
            field = text[...]
            value = ""
        }
        if field == "data" {
            data.append(String(value))
            hasData = true
        }
    }
}
