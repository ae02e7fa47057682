import Foundation

/// Request bodies as JSON text. Foundation's JSONSerialization writer took a tenth of the remote client's CPU (three
/// requests per chain, each carrying the whole prompt; `rank1 bench client`); this one writes the same values
/// byte by byte. Keys are sorted (a body is the same bytes every time). What it does not know (NSNumber and the
/// like) is left to JSONSerialization, value by value.
enum JSONBody {
    static func encode(_ object: [String: Any]) throws -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        try write(object, to: &out)
        return Data(out)
    }

    private static func write(_ value: Any, to out: inout [UInt8]) throws {
        switch value {
        case let s as String: string(s, to: &out)
        case let b as Bool where type(of: value) == Bool.self: out.append(contentsOf: (b ? "true" : "false").utf8)
        case let i as Int where type(of: value) == Int.self: out.append(contentsOf: String(i).utf8)
        case let i as Int32 where type(of: value) == Int32.self: out.append(contentsOf: String(i).utf8)
        case let d as Double where type(of: value) == Double.self:
            guard d.isFinite else { throw EncodingError.invalidValue(d, .init(codingPath: [], debugDescription: "not a JSON number")) }
            out.append(contentsOf: d.description.utf8)
        case let o as [String: Any]:
            out.append(UInt8(ascii: "{"))
            for (n, k) in o.keys.sorted().enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                string(k, to: &out)
                out.append(UInt8(ascii: ":"))
                try write(o[k]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let a as [Any]:
            out.append(UInt8(ascii: "["))
            for (n, v) in a.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                try write(v, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            // One value in an array, the brackets dropped.
            let text = try JSONSerialization.data(withJSONObject: [value])
            out.append(contentsOf: text.dropFirst().dropLast())
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func string(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { b in
            var start = 0
            for i in 0..<b.count {
                let c = b[i]
                guard c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
                start = i + 1
                switch c {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), c])
                case 10: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 13: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 9: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                default: out.append(contentsOf: Array("\\u00".utf8) + [hex[Int(c >> 4)], hex[Int(c & 15)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
