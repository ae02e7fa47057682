import Foundation

/// A small JSON reader over UTF-8 bytes for the hot path of streaming (one completion chunk per token):
/// Foundation's JSONSerialization builds bridged NSDictionaries and cost most of the client's time per token.
/// Strict RFC 8259 syntax; numbers are kept as their text (converted when asked); objects keep their order.
enum JSON: Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    subscript(key: String) -> JSON? {
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    var array: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }
    var int: Int? {
        if case .number(let n) = self { return Int(n) ?? Double(n).flatMap { Int(exactly: $0) } }
        return nil
    }

    /// Parses one JSON text (surrounding whitespace allowed); nil when it is not valid JSON. With `keeping`, object
    /// fields under other names are checked and skipped, never built (a streamed chunk's ids, timestamps and
    /// logprobs: most of its bytes).
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, keeping: Keys? = nil) -> JSON? {
        var r = JSONReader(bytes: bytes, keeping: keeping)
        guard let v = r.value() else { return nil }
        r.skipSpace()
        return r.at == bytes.count ? v : nil
    }

    static func parse(_ text: String, keeping: Keys? = nil) -> JSON? {
        var text = text
        return text.withUTF8 { parse($0, keeping: keeping) }
    }
}

extension JSON {
    /// Field names to keep, at any depth.
    struct Keys: Sendable {
        let names: [[UInt8]]
        init(_ names: [String]) { self.names = names.map { Array($0.utf8) } }

        func contains(_ key: String) -> Bool { names.contains { $0.elementsEqual(key.utf8) } }

        func contains(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
            names.contains { $0.count == key.count && $0.withUnsafeBufferPointer { n in memcmp(n.baseAddress!, key.baseAddress!, key.count) == 0 } }
        }
    }
}

private struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var keeping: JSON.Keys?
    var at = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, keeping: JSON.Keys? = nil) {
        self.bytes = bytes
        self.keeping = keeping
    }

    mutating func skipSpace() {
        while at < bytes.count, bytes[at] == 32 || bytes[at] == 10 || bytes[at] == 13 || bytes[at] == 9 { at += 1 }
    }

    mutating func value() -> JSON? {
        skipSpace()
        guard at < bytes.count else { return nil }
        switch bytes[at] {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map { .string($0) }
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    private mutating func literal(_ word: StaticString, _ v: JSON) -> JSON? {
        let n = word.utf8CodeUnitCount
        guard at + n <= bytes.count else { return nil }
        for i in 0..<n where bytes[at + i] != word.utf8Start[i] { return nil }
        at += n
        return v
    }

    private mutating func object() -> JSON? {
        depth += 1
        defer { depth -= 1 }
        guard depth < 512 else { return nil }
        at += 1
        var fields: [(String, JSON)] = []
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "}") {
            at += 1
            return .object(fields)
        }
        while true {
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\""), let (start, end, plain) = scanString() else { return nil }
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { return nil }
            at += 1
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<end])
            // A plain key is compared as it stands; one with escapes (no server writes its names so) decoded first.
            var key: String?
            if !plain {
                let after = at
                at = start - 1
                key = string()
                at = after
                guard key != nil else { return nil }
            }
            if let keeping, !(key.map { keeping.contains($0) } ?? keeping.contains(raw)) {
                guard skipValue() else { return nil }
            } else {
                guard let v = value() else { return nil }
                fields.append((key ?? String(decoding: raw, as: UTF8.self), v))
            }
            skipSpace()
            guard at < bytes.count else { return nil }
            if bytes[at] == UInt8(ascii: ",") {
                at += 1
                continue
            }
            if bytes[at] == UInt8(ascii: "}") {
                at += 1
                return .object(fields)
            }
            return nil
        }
    }

    private mutating func array() -> JSON? {
        depth += 1
        defer { depth -= 1 }
        guard depth < 512 else { return nil }
        at += 1
        var items: [JSON] = []
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "]") {
            at += 1
            return .array(items)
        }
        while true {
            guard let v = value() else { return nil }
            items.append(v)
            skipSpace()
            guard at < bytes.count else { return nil }
            if bytes[at] == UInt8(ascii: ",") {
                at += 1
                continue
            }
            if bytes[at] == UInt8(ascii: "]") {
                at += 1
                return .array(items)
            }
            return nil
        }
    }

    /// Checks a value and moves past it, building nothing.
    private mutating func skipValue() -> Bool {
        skipSpace()
        guard at < bytes.count else { return false }
        switch bytes[at] {
        case UInt8(ascii: "\""): return scanString() != nil
        case UInt8(ascii: "t"): return literal("true", .null) != nil
        case UInt8(ascii: "f"): return literal("false", .null) != nil
        case UInt8(ascii: "n"): return literal("null", .null) != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = bytes[at] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            depth += 1
            defer { depth -= 1 }
            guard depth < 512 else { return false }
            at += 1
            skipSpace()
            if at < bytes.count, bytes[at] == close {
                at += 1
                return true
            }
            while true {
                if isObject {
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: "\""), scanString() != nil else { return false }
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { return false }
                    at += 1
                }
                guard skipValue() else { return false }
                skipSpace()
                guard at < bytes.count else { return false }
                if bytes[at] == UInt8(ascii: ",") {
                    at += 1
                    continue
                }
                if bytes[at] == close {
                    at += 1
                    return true
                }
                return false
            }
        default: return scanNumber()
        }
    }

    /// A string at `at` (its opening quote) checked and passed: its content's range, and whether it has no escapes.
    private mutating func scanString() -> (Int, Int, Bool)? {
        at += 1
        let start = at
        var plain = true
        while at < bytes.count {
            let b = bytes[at]
            if b == UInt8(ascii: "\"") {
                at += 1
                return (start, at - 1, plain)
            }
            if b < 0x20 { return nil }
            at += 1
            if b == UInt8(ascii: "\\") {
                plain = false
                guard at < bytes.count else { return nil }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                    UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"): guard hex4() != nil else { return nil }
                default: return nil
                }
            }
        }
        return nil
    }

    private mutating func number() -> JSON? {
        let start = at
        guard scanNumber() else { return nil }
        return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self))
    }

    private mutating func scanNumber() -> Bool {
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
        guard digits(leadingZeroAlone: true) else { return false }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            guard digits(leadingZeroAlone: false) else { return false }
        }
        if at < bytes.count, bytes[at] | 0x20 == UInt8(ascii: "e") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits(leadingZeroAlone: false) else { return false }
        }
        return true
    }

    /// One or more digits; for an integer part, a leading 0 stands alone.
    private mutating func digits(leadingZeroAlone: Bool) -> Bool {
        let start = at
        while at < bytes.count, bytes[at] >= 48, bytes[at] <= 57 { at += 1 }
        if at == start { return false }
        return !(leadingZeroAlone && bytes[start] == 48 && at - start > 1)
    }

    /// A string at `at` (its opening quote); escapes decoded, invalid UTF-8 repaired to U+FFFD.
    mutating func string() -> String? {
        at += 1
        let start = at
        // Fast path: no escapes.
        while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\") {
            if bytes[at] < 0x20 { return nil }
            at += 1
        }
        guard at < bytes.count else { return nil }
        if bytes[at] == UInt8(ascii: "\"") {
            defer { at += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        }
        var out = Array(bytes[start..<at])
        while at < bytes.count {
            let b = bytes[at]
            if b == UInt8(ascii: "\"") {
                at += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { return nil }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                at += 1
                continue
            }
            at += 1
            guard at < bytes.count else { return nil }
            let e = bytes[at]
            at += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                guard var unit = hex4() else { return nil }
                var scalar: Unicode.Scalar?
                if (0xD800..<0xDC00).contains(unit), at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") {
                    let save = at
                    at += 2
                    if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                        scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    } else {
                        at = save
                    }
                }
                if scalar == nil {
                    if (0xD800..<0xE000).contains(unit) { unit = 0xFFFD }
                    scalar = Unicode.Scalar(unit)
                }
                out += Array(String(Character(scalar!)).utf8)
            default: return nil
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard at + 4 <= bytes.count else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = hexDigit(bytes[at]) else { return nil }
            v = v << 4 | UInt32(d)
            at += 1
        }
        return v
    }
}
