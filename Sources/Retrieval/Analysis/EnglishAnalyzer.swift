/// Lucene's English analysis as Anserini's DefaultEnglishAnalyzer applies it: StandardTokenizer,
/// English possessive removal, lowercase, Lucene's 33 English stopwords, Porter stemming.
public struct EnglishAnalyzer: Analyzer {
    public static let standardName = "lucene-english-v1"
    public var name: String { EnglishAnalyzer.standardName }

    /// Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET.
    public static let stopwords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
        "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
        "will", "with",
    ]
    private static let stopwordBytes: Set<[UInt8]> = Set(stopwords.map { Array($0.utf8) })
    private static let longestStopword = stopwords.map(\.utf8.count).max()!

    private let tokenizer = StandardTokenizer()
    private let stemmer = PorterStemmer()

    public init() {}

    public func forEachRawToken(in text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        tokenizer.forEachToken(in: text, body)
    }

    public func normalize(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var n = raw.count
        // English possessive: a trailing 's or 'S after ', U+2019 or U+FF07.
        if n >= 2, raw[n - 1] == UInt8(ascii: "s") || raw[n - 1] == UInt8(ascii: "S") {
            if raw[n - 2] == UInt8(ascii: "'") {
                n -= 2
            } else if n >= 4, raw[n - 4] == 0xE2, raw[n - 3] == 0x80, raw[n - 2] == 0x99 {
                n -= 4
            } else if n >= 4, raw[n - 4] == 0xEF, raw[n - 3] == 0xBC, raw[n - 2] == 0x87 {
                n -= 4
            }
        }
        if n == 0 { return nil }
        let token = UnsafeBufferPointer(rebasing: raw[0..<n])
        var ascii = true
        for b in token where b >= 0x80 {
            ascii = false
            break
        }
        if ascii {
            var lower = [UInt8](token)
            for i in lower.indices where lower[i] >= UInt8(ascii: "A") && lower[i] <= UInt8(ascii: "Z") { lower[i] |= 0x20 }
            // Tokens longer than every stopword skip the hash.
            if lower.count <= EnglishAnalyzer.longestStopword && EnglishAnalyzer.stopwordBytes.contains(lower) { return nil }
            if lower.count <= 2 { return lower }
            var units = lower.map { UInt16($0) }
            stemmer.stem(&units)
            return units.map { UInt8(truncatingIfNeeded: $0) }
        }
        // Non-ASCII: Java's per-code-point simple lowercase, then Porter on UTF-16 units.
        var lowered = String.UnicodeScalarView()
        for s in String(decoding: token, as: UTF8.self).unicodeScalars {
            let mapped = s.properties.lowercaseMapping.unicodeScalars
            lowered.append(mapped.count == 1 ? mapped.first! : (mapped.first ?? s))
        }
        var units = Array(String(lowered).utf16)
        stemmer.stem(&units)
        return Array(String(decoding: units, as: UTF16.self).utf8)
    }
}
