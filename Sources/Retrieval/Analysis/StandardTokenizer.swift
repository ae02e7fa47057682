/// Lucene's StandardTokenizer word rules (UAX #29 word boundaries, as its JFlex grammar applies them):
/// letters and digits join (WB5, WB8–WB10), a single MidLetter/MidNumLet/quote between letters joins
/// (WB6/7, "don't", "e.g", "a:b"), MidNum/MidNumLet between digits joins (WB11/12, "3.14", "1,000"),
/// underscores glue (WB13a/b), Han/Hiragana/emoji are one token per character, and a token is cut at
/// 255 UTF-16 units. Runs of punctuation and space are not tokens.
public struct StandardTokenizer: Sendable {
    public static let maxTokenLength = 255

    /// The ASCII class table, held here so the hot loop does not go through a lazy global.
    private let asciiClasses: [WordBreakClass] = WordBreak.ascii

    public init() {}

    @inline(__always)
    static func decode(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Unicode.Scalar, Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
        // Input is valid UTF-8 (corpus readers reject the rest); be defensive at the buffer's end anyway.
        let n = p.count
        if b0 >= 0xF0, i + 3 < n {
            let v =
                (UInt32(b0 & 0x07) << 18) | (UInt32(p[i + 1] & 0x3F) << 12) | (UInt32(p[i + 2] & 0x3F) << 6)
                | UInt32(p[i + 3] & 0x3F)
            return (Unicode.Scalar(v) ?? "\u{FFFD}", 4)
        }
        if b0 >= 0xE0, i + 2 < n {
            let v = (UInt32(b0 & 0x0F) << 12) | (UInt32(p[i + 1] & 0x3F) << 6) | UInt32(p[i + 2] & 0x3F)
            return (Unicode.Scalar(v) ?? "\u{FFFD}", 3)
        }
        if b0 >= 0xC0, i + 1 < n {
            let v = (UInt32(b0 & 0x1F) << 6) | UInt32(p[i + 1] & 0x3F)
            return (Unicode.Scalar(v) ?? "\u{FFFD}", 2)
        }
        return ("\u{FFFD}", 1)
    }

    @inline(__always)
    static func classAt(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ ascii: UnsafePointer<WordBreakClass>) -> (WordBreakClass, Int, Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (ascii[Int(b0)], 1, 1) }
        let (s, len) = decode(p, i)
        return (WordBreak.classify(s), len, s.value > 0xFFFF ? 2 : 1)
    }

    public func forEachToken(in p: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        asciiClasses.withUnsafeBufferPointer { table in scan(p, table.baseAddress!, body) }
    }

    private func scan(_ p: UnsafeBufferPointer<UInt8>, _ ascii: UnsafePointer<WordBreakClass>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        let n = p.count
        var i = 0
        var start = -1  // start of the open token, -1 when none
        var end = 0  // end of the open token (after its last character and its Extend marks)
        var last = WordBreakClass.other
        var hasWord = false  // the open token holds more than underscores
        var units = 0  // UTF-16 length of the open token

        @inline(__always) func flush() {
            if start >= 0, hasWord { body(UnsafeBufferPointer(rebasing: p[start..<end])) }
            start = -1
            hasWord = false
            units = 0
        }
        @inline(__always) func open(_ c: WordBreakClass, _ at: Int, _ len: Int, _ u: Int) {
            start = at
            end = at + len
            last = c
            hasWord = c != .extendNumLet
            units = u
        }

        while i < n {
            let (c, len, u) = StandardTokenizer.classAt(p, i, ascii)
            if c == .extend {
                if start >= 0, end == i, units + u <= StandardTokenizer.maxTokenLength {
                    end = i + len
                    units += u
                }
                i += len
                continue
            }
            if start >= 0 {
                var joins = false
                switch c {
                case .aLetter, .numeric: joins = last == .aLetter || last == .numeric || last == .extendNumLet
                case .katakana: joins = last == .katakana || last == .extendNumLet
                case .extendNumLet: joins = last == .aLetter || last == .numeric || last == .katakana || last == .extendNumLet
                case .southEastAsian: joins = last == .southEastAsian
                case .midLetter, .midNum, .midNumLet, .singleQuote:
                    let letterMid = last == .aLetter && (c == .midLetter || c == .midNumLet || c == .singleQuote)
                    let numberMid = last == .numeric && (c == .midNum || c == .midNumLet || c == .singleQuote)
                    if letterMid || numberMid {
                        var j = i + len
                        var midUnits = u
                        while j < n {
                            let (cj, lj, uj) = StandardTokenizer.classAt(p, j, ascii)
                            if cj != .extend { break }
                            j += lj
                            midUnits += uj
                        }
                        if j < n {
                            let (next, _, nextUnits) = StandardTokenizer.classAt(p, j, ascii)
                            if next == last, units + midUnits + nextUnits <= StandardTokenizer.maxTokenLength {
                                // The mid character and its marks belong to the token; the next letter or
                                // digit joins on the next turn of the loop.
                                end = j
                                units += midUnits
                                i = j
                                continue
                            }
                        }
                    }
                    flush()
                    i += len
                    continue
                default: joins = false
                }
                if joins && units + u <= StandardTokenizer.maxTokenLength {
                    end = i + len
                    units += u
                    if c != .extendNumLet { hasWord = true }
                    last = c
                    i += len
                    continue
                }
                flush()
            }
            switch c {
            case .aLetter, .numeric, .katakana, .extendNumLet, .southEastAsian, .single: open(c, i, len, u)
            default: break
            }
            i += len
        }
        flush()
    }
}
