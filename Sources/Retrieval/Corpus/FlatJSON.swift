/// A small, fast parser for one JSON object per line, keeping only the wanted top-level fields as
/// strings (numbers keep their literal text; null is absent; nested values are skipped but checked).
/// Corpus lines are flat objects; a general JSON tree would cost time and memory for nothing.
struct FlatJSON {
    struct Failure: Error {
        var offset: Int
        var message: String
    }

    static func parseObject(_ p: UnsafeBufferPointer<UInt8>, wanted: [String]) throws -> [String: String] {
        var parser = FlatJSON(p: p)
        return try parser.object(wanted: Set(wanted.map { Array($0.utf8) }))
    }

    private let p: UnsafeBufferPointer<UInt8>
    private var i = 0

    private init(p: UnsafeBufferPointer<UInt8>) { self.p = p }

    private func fail(_ message: String) -> Failure { Failure(offset: i, message: message) }

    private mutating func skipSpace() {
        while i < p.count, p[i] == 32 || p[i] == 9 || p[i] == 10 || p[i] == 13 { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard i < p.count else { throw fail("unexpected end of line, expected '\(Character(Unicode.Scalar(c)))'") }
        guard p[i] == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))', found '\(Character(Unicode.Scalar(p[i])))'") }
        i += 1
    }

    private mutating func object(wanted: Set<[UInt8]>) throws -> [String: String] {
        var out: [String: String] = [:]
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if i < p.count, p[i] == UInt8(ascii: "}") {
            i += 1
            try end()
            return out
        }
        while true {
            skipSpace()
            let key = try rawString()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            let keyBytes = Array(key)
            if wanted.contains(keyBytes) {
                if let v = try scalarValue() { out[String(decoding: keyBytes, as: UTF8.self)] = v }
            } else {
                try skipValue()
            }
            skipSpace()
            guard i < p.count else { throw fail("unexpected end of line inside an object") }
            if p[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if p[i] == UInt8(ascii: "}") {
                i += 1
                break
            }
            throw fail("expected ',' or '}' after a value")
        }
        try end()
        return out
    }

    private mutating func end() throws {
        skipSpace()
        if i != p.count { throw fail("unexpected text after the object") }
    }

    /// The string at i (after its opening quote is checked), unescaped, as UTF-8 bytes.
    private mutating func rawString() throws -> [UInt8] {
        guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < p.count, p[i] != UInt8(ascii: "\""), p[i] != UInt8(ascii: "\\") {
            if p[i] < 0x20 { throw fail("control character inside a string") }
            i += 1
        }
        guard i < p.count else { throw fail("unterminated string") }
        var out = Array(p[start..<i])
        while true {
            guard i < p.count else { throw fail("unterminated string") }
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return out
            }
            if c < 0x20 { throw fail("control character inside a string") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < p.count else { throw fail("unterminated escape") }
            let e = p[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var v = try hex4()
                if (0xD800..<0xDC00).contains(v) {
                    // A high surrogate must be followed by \uDC00–\uDFFF.
                    if i + 1 < p.count, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let lo = try hex4()
                        guard (0xDC00..<0xE000).contains(lo) else { throw fail("unpaired surrogate in \\u escape") }
                        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        throw fail("unpaired surrogate in \\u escape")
                    }
                } else if (0xDC00..<0xE000).contains(v) {
                    throw fail("unpaired surrogate in \\u escape")
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(v)!)).utf8))
            default: throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= p.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = p[i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw fail("bad hex digit in \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// A string or a number as text; nil for null. Objects, arrays and booleans are refused for wanted fields.
    private mutating func scalarValue() throws -> String? {
        guard i < p.count else { throw fail("missing value") }
        let c = p[i]
        if c == UInt8(ascii: "\"") { return String(decoding: try rawString(), as: UTF8.self) }
        if c == UInt8(ascii: "-") || (c >= 48 && c <= 57) {
            let start = i
            try skipNumber()
            return String(decoding: p[start..<i], as: UTF8.self)
        }
        if try literal("null") { return nil }
        throw fail("expected a string or a number")
    }

    private mutating func literal(_ word: StaticString) throws -> Bool {
        let n = word.utf8CodeUnitCount
        guard i + n <= p.count else { return false }
        let ok = word.withUTF8Buffer { w in (0..<n).allSatisfy { p[i + $0] == w[$0] } }
        if ok { i += n }
        return ok
    }

    private mutating func skipNumber() throws {
        let start = i
        if p[i] == UInt8(ascii: "-") { i += 1 }
        while i < p.count,
            (p[i] >= 48 && p[i] <= 57) || p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: "e")
                || p[i] == UInt8(ascii: "E") || p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")
        { i += 1 }
        if i == start || (i == start + 1 && p[start] == UInt8(ascii: "-")) { throw fail("malformed number") }
    }

    private mutating func skipValue(depth: Int = 0) throws {
        guard depth < 512 else { throw fail("nesting too deep") }
        skipSpace()
        guard i < p.count else { throw fail("missing value") }
        switch p[i] {
        case UInt8(ascii: "\""): _ = try rawString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = p[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            i += 1
            skipSpace()
            if i < p.count, p[i] == close {
                i += 1
                return
            }
            while true {
                skipSpace()
                if isObject {
                    _ = try rawString()
                    try expect(UInt8(ascii: ":"))
                }
                try skipValue(depth: depth + 1)
                skipSpace()
                guard i < p.count else { throw fail("unexpected end of line inside a value") }
                if p[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if p[i] == close {
                    i += 1
                    return
                }
                throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))'")
            }
        case UInt8(ascii: "t"): if !(try literal("true")) { throw fail("invalid literal") }
        case UInt8(ascii: "f"): if !(try literal("false")) { throw fail("invalid literal") }
        case UInt8(ascii: "n"): if !(try literal("null")) { throw fail("invalid literal") }
        default: try skipNumber()
        }
    }
}
