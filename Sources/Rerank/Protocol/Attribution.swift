/// What a reasoning chain drew on: the runs of words it shares with the passage, the query and the instruction,
/// matched on analyzed terms (so "cats" meets "cat" and "to" and "into" do not matter), and which of its sentences
/// have support in any of them. Offsets are in Unicode scalars (Python's string indices) of the texts as shown: the
/// chain as streamed, the passage as the model saw it (`Rank1Prompt.passageText`: the title, a space, the text), the
/// query as typed, the instruction with the query filled in.
///
/// The analysis is the caller's (the index's analyzer): `Tokens` gives a text's raw tokens as UTF-8 byte ranges with
/// their terms, nil for a stopword. Rerank does not import Retrieval; the analyzer comes in as that function.
public struct Attribution: Sendable, Equatable {
    public enum Source: String, Sendable, CaseIterable { case passage, query, instruction }

    /// A run of at least `minimumTerms` consecutive terms found in a source.
    public struct Span: Sendable, Equatable {
        public var chain: Range<Int>
        public var source: Source
        public var range: Range<Int>
        public init(chain: Range<Int>, source: Source, range: Range<Int>) {
            self.chain = chain
            self.source = source
            self.range = range
        }
    }

    /// A sentence of the chain and its support.
    public struct Sentence: Sendable, Equatable {
        public var range: Range<Int>
        /// Terms it holds, words about the task left out (a sentence with fewer than `minimumTerms` makes no claim: "Yes."
        /// is neither supported nor unsupported).
        public var terms: Int
        /// Sources it shares a run with.
        public var sources: Set<Source>
        public var claims: Bool { terms >= Attribution.minimumTerms }
        public var unsupported: Bool { claims && sources.isEmpty }
    }

    public var spans: [Span]
    public var sentences: [Sentence]
    /// The share of the chain's sentences that make a claim with support in the passage, query or instruction;
    /// nil when no sentence makes one.
    public var grounded: Double? {
        let claiming = sentences.filter(\.claims)
        return claiming.isEmpty ? nil : Double(claiming.filter { !$0.sources.isEmpty }.count) / Double(claiming.count)
    }

    /// Runs of fewer terms are lone words, which any text on the topic shares.
    public static let minimumTerms = 2

    /// Words about the task itself, not the passage: a sentence of them alone ("So the passage is relevant.", "The
    /// query asks if the passage is relevant.") makes no claim that could have support.
    static let taskWords = "passage query relevant relevance true false answer determine"

    public typealias Tokens = (String) -> [(range: Range<Int>, term: String?)]

    /// `instruction`: the filled instruction, or nil when there is none (the query alone was asked). A run the query
    /// holds is the query's, not the instruction's as well.
    public static func of(chain: String, passage: String, query: String, instruction: String?, tokens: Tokens) -> Attribution {
        let chainTerms = Terms(chain, tokens)
        let task = Set(tokens(taskWords).compactMap(\.term))
        var sources: [(Source, Terms)] = [(.passage, Terms(passage, tokens)), (.query, Terms(query, tokens))]
        if let instruction, instruction != query { sources.append((.instruction, Terms(instruction, tokens))) }
        var spans: [Span] = []
        var sentences: [Sentence] = []
        // The steps the explorer walks through (`Sentences`), as byte ranges: runs never cross a sentence's end, so
        // each sentence's support is its own.
        let byteAt = characterBytes(chain)
        for step in Sentences.split(chain) {
            let sentence = byteAt[step.lowerBound]..<byteAt[step.upperBound]
            let inside = chainTerms.items.indices.filter { sentence.contains(chainTerms.items[$0].range.lowerBound) }
            var found = Set<Source>()
            var queryCovered: [Range<Int>] = []
            for (source, terms) in sources {
                for run in terms.runs(of: inside.map { chainTerms.items[$0].term }) {
                    let first = chainTerms.items[inside[run.from]].range
                    let last = chainTerms.items[inside[run.from + run.count - 1]].range
                    let chainRange = first.lowerBound..<last.upperBound
                    // The filled instruction holds the query: what the query holds is the query's.
                    if source == .instruction
                        && queryCovered.contains(where: { $0.lowerBound <= chainRange.lowerBound && $0.upperBound >= chainRange.upperBound })
                    {
                        continue
                    }
                    if source == .query { queryCovered.append(chainRange) }
                    let sourceRange = terms.items[run.at].range.lowerBound..<terms.items[run.at + run.count - 1].range.upperBound
                    spans.append(Span(chain: chainTerms.scalars(chainRange), source: source, range: terms.scalars(sourceRange)))
                    found.insert(source)
                }
            }
            let claimed = inside.filter { !task.contains(chainTerms.items[$0].term) }.count
            sentences.append(Sentence(range: chainTerms.scalars(sentence), terms: claimed, sources: found))
        }
        spans.sort { ($0.chain.lowerBound, $0.source.order) < ($1.chain.lowerBound, $1.source.order) }
        return Attribution(spans: spans, sentences: sentences)
    }

    /// The UTF-8 offset where each character of `text` starts, and the end.
    static func characterBytes(_ text: String) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(text.count + 1)
        var byte = 0
        for c in text {
            out.append(byte)
            byte += c.utf8.count
        }
        out.append(byte)
        return out
    }
}

extension Attribution.Source {
    fileprivate var order: Int { Attribution.Source.allCases.firstIndex(of: self)! }
}

/// A text's terms (stopwords left out) with their UTF-8 ranges, and the map from UTF-8 offsets to scalar offsets.
private struct Terms {
    let items: [(range: Range<Int>, term: String)]
    /// Scalar offset of each UTF-8 offset that starts a scalar (and of the end).
    private let scalarAt: [Int: Int]
    /// Where each pair of consecutive terms occurs, for finding runs.
    private let pairs: [Pair: [Int]]

    private struct Pair: Hashable {
        let a: String, b: String
    }

    init(_ text: String, _ tokens: Attribution.Tokens) {
        items = tokens(text).compactMap { t in t.term.map { (t.range, $0) } }
        var map: [Int: Int] = [:]
        var byte = 0
        for (i, scalar) in text.unicodeScalars.enumerated() {
            map[byte] = i
            byte += UTF8.width(scalar)
        }
        map[byte] = text.unicodeScalars.count
        scalarAt = map
        var pairs: [Pair: [Int]] = [:]
        for i in items.indices.dropLast() { pairs[Pair(a: items[i].term, b: items[i + 1].term), default: []].append(i) }
        self.pairs = pairs
    }

    func scalars(_ r: Range<Int>) -> Range<Int> { scalarAt[r.lowerBound]!..<scalarAt[r.upperBound]! }

    /// Greedy: at each position of `terms`, the longest run this text holds (the first occurrence among equals); a
    /// run found is skipped past, else one term.
    func runs(of terms: [String]) -> [(from: Int, at: Int, count: Int)] {
        var out: [(Int, Int, Int)] = []
        var i = 0
        while i + Attribution.minimumTerms <= terms.count {
            var best = (at: 0, count: 0)
            for j in pairs[Pair(a: terms[i], b: terms[i + 1])] ?? [] {
                var n = 2
                while i + n < terms.count, j + n < items.count, terms[i + n] == items[j + n].term { n += 1 }
                if n > best.count { best = (j, n) }
            }
            if best.count >= Attribution.minimumTerms {
                out.append((i, best.at, best.count))
                i += best.count
            } else {
                i += 1
            }
        }
        return out
    }
}

extension Attribution.Span: Encodable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// `{"chain": [start, end], "passage": [start, end]}` (or "query", "instruction"): the source named by its key.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode([chain.lowerBound, chain.upperBound], forKey: Key("chain"))
        try c.encode([range.lowerBound, range.upperBound], forKey: Key(source.rawValue))
    }
}
