/// Word-break classes of Unicode UAX #29, reduced to what Lucene's StandardTokenizer grammar uses.
enum WordBreakClass: UInt8 {
    case other, aLetter, numeric, katakana, extendNumLet
    case midLetter, midNum, midNumLet, singleQuote
    /// Extend, Format and ZWJ: they attach to the character before them (WB4).
    case extend
    /// Han, Hiragana, emoji: each character is a token of its own.
    case single
    /// Thai, Lao, Myanmar, Khmer: a run of them is one token (Lucene's SOUTHEAST_ASIAN type).
    case southEastAsian
}

enum WordBreak {
    /// Classes of the ASCII range, looked up directly on the hot path.
    static let ascii: [WordBreakClass] = {
        var t = [WordBreakClass](repeating: .other, count: 128)
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(c)] = .aLetter }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(c)] = .aLetter }
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(c)] = .numeric }
        t[Int(UInt8(ascii: "_"))] = .extendNumLet
        t[Int(UInt8(ascii: ":"))] = .midLetter
        t[Int(UInt8(ascii: ","))] = .midNum
        t[Int(UInt8(ascii: ";"))] = .midNum
        t[Int(UInt8(ascii: "."))] = .midNumLet
        t[Int(UInt8(ascii: "'"))] = .singleQuote
        return t
    }()

    static func classify(_ s: Unicode.Scalar) -> WordBreakClass {
        let v = s.value
        if v < 128 { return ascii[Int(v)] }
        switch v {
        case 0x00B7, 0x0387, 0x055F, 0x05F4, 0x2027, 0xFE13, 0xFE55, 0xFF1A: return .midLetter
        case 0x037E, 0x0589, 0x060C, 0x060D, 0x066C, 0x07F8, 0x2044, 0xFE10, 0xFE14, 0xFE50, 0xFE54, 0xFF0C, 0xFF1B:
            return .midNum
        case 0x2018, 0x2019, 0x2024, 0xFE52, 0xFF07, 0xFF0E: return .midNumLet
        case 0x200D: return .extend
        case 0x3031...0x3035, 0x309B, 0x309C, 0x30A0...0x30FA, 0x30FC...0x30FF, 0x31F0...0x31FF,
            0x32D0...0x32FE, 0x3300...0x3357, 0xFF66...0xFF9D:
            return .katakana
        case 0x3040...0x309F: return .single  // Hiragana
        case 0x0E00...0x0EFF, 0x1000...0x109F, 0x1780...0x17FF, 0x19E0...0x19FF: return .southEastAsian
        default: break
        }
        let p = s.properties
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .format: return .extend
        case .decimalNumber: return .numeric
        case .connectorPunctuation: return .extendNumLet
        default: break
        }
        if p.isIdeographic { return .single }
        if p.isAlphabetic { return .aLetter }
        if p.isEmojiPresentation || (p.isEmoji && v >= 0x2000) { return .single }
        return .other
    }
}
