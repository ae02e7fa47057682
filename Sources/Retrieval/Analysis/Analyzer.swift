/// Text analysis as two steps, so callers can cache the second one:
/// a tokenizer finds raw tokens in UTF-8 text, and `normalize` maps one raw token to its index term
/// (or to nothing, for a stopword). `normalize` depends on the raw token alone, which makes a
/// raw-token → term cache exact.
public protocol Analyzer: Sendable {
    /// A stable name stored in the index; search refuses an index built with another analyzer.
    var name: String { get }
    /// Calls `body` with each raw token of `text` (a slice of the same buffer), in order.
    func forEachRawToken(in text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void)
    /// The index term for one raw token, as UTF-8, or nil when the token is dropped.
    func normalize(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8]?
}

extension Analyzer {
    /// The analyzed terms of `text`, in order (duplicates kept).
    public func terms(_ text: String) -> [String] {
        var text = text
        var out: [String] = []
        text.withUTF8 { buf in
            forEachRawToken(in: buf) { raw in
                if let term = normalize(raw) { out.append(String(decoding: term, as: UTF8.self)) }
            }
        }
        return out
    }

    /// The raw tokens of `text` with their UTF-8 byte ranges, for highlighting.
    public func rawTokens(_ text: String) -> [(range: Range<Int>, term: String?)] {
        var text = text
        var out: [(Range<Int>, String?)] = []
        text.withUTF8 { buf in
            guard let base = buf.baseAddress else { return }
            forEachRawToken(in: buf) { raw in
                let start = raw.baseAddress! - base
                let term = normalize(raw).map { String(decoding: $0, as: UTF8.self) }
                out.append((start..<start + raw.count, term))
            }
        }
        return out
    }
}

/// Looks an analyzer up by the name an index stores.
public func analyzer(named name: String) -> (any Analyzer)? {
    switch name {
    case EnglishAnalyzer.standardName: return EnglishAnalyzer()
    default: return nil
    }
}
