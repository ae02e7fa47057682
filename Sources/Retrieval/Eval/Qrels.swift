import Foundation

/// Relevance judgments: query id → document id → grade. Reads BEIR TSV (`query-id corpus-id score`,
/// with or without its header) and TREC qrels (`qid 0 docid grade`).
public struct Qrels: Sendable {
    public var judgments: [String: [String: Int]] = [:]
    public init() {}

    public init(path: String) throws {
        var lines = try LineReader(path: path)
        defer { lines.close() }
        while let raw = try lines.nextLine() {
            let line = String(decoding: raw, as: UTF8.self)
            // BEIR qrels are tab-separated and ids may contain spaces; TREC qrels use spaces.
            let cols = (line.contains("\t") ? line.split(separator: "\t") : line.split(separator: " ")).map(String.init)
            if cols.isEmpty { continue }
            let location = "\(path):\(lines.lineNumber)"
            let (q, d, g): (String, String, String)
            switch cols.count {
            case 3: (q, d, g) = (cols[0], cols[1], cols[2])
            case 4: (q, d, g) = (cols[0], cols[2], cols[3])
            default: throw CorpusError(location, "expected 3 (BEIR) or 4 (TREC) columns, found \(cols.count)")
            }
            // Grades are whole numbers; "1.0" is read as 1, a fraction or an overflow is an error, not a rounding.
            guard let grade = Int(g) ?? Double(g).flatMap({ Int(exactly: $0) }) else {
                if lines.lineNumber == 1 && Double(g) == nil { continue }  // header
                throw CorpusError(location, "relevance grade \"\(g)\" is not a whole number")
            }
            judgments[q, default: [:]][d] = grade
        }
    }

    public func relevant(_ query: String) -> [String: Int] { judgments[query] ?? [:] }
}

/// A ranked run: query id → hits (document id, score), in the file's order.
public struct Run: Sendable {
    public var results: [String: [(doc: String, score: Double)]] = [:]
    public var queryOrder: [String] = []
    public init() {}

    /// A TREC run, or the Rank1 reference's JSON run (`{qid: {docid: score}}`, as its published run files are).
    public init(path: String) throws {
        let head = try FileSystem.readFile(path).prefix(1 << 16).first { ![9, 10, 13, 32].contains($0) }
        guard head == UInt8(ascii: "{") else {
            try self.init(trecPath: path)
            return
        }
        self.init()
        let data = try FileSystem.readFile(path)
        let obj: [String: Any]
        do { obj = try JSONObjectText.object(Data(data)) } catch {
            throw CorpusError(path, "not a JSON run (\(error.message)): expected {\"qid\": {\"docid\": score, …}, …}")
        }
        for qid in obj.keys.sorted() {
            guard let docs = obj[qid] as? [String: Any] else { throw CorpusError(path, "query \"\(qid)\": expected {\"docid\": score, …}") }
            for (doc, v) in docs {
                guard let score = (v as? NSNumber)?.doubleValue else {
                    throw CorpusError(path, "query \"\(qid)\", document \"\(doc)\": the score is not a number")
                }
                add(query: qid, doc: doc, score: score)
            }
        }
    }

    /// A query's candidates best first: by score, ties by document id descending (trec_eval's order).
    public func ranked(_ query: String) -> [(doc: String, score: Double)] {
        (results[query] ?? []).sorted { $0.score != $1.score ? $0.score > $1.score : $0.doc > $1.doc }
    }

    public init(trecPath path: String) throws {
        var seen: [String: Set<String>] = [:]
        var lines = try LineReader(path: path)
        defer { lines.close() }
        while let raw = try lines.nextLine() {
            let cols = String(decoding: raw, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" })
            if cols.isEmpty { continue }
            guard cols.count >= 6, let score = Double(cols[cols.count - 2]) else {
                throw CorpusError("\(path):\(lines.lineNumber)", "expected a TREC run line: qid Q0 docid rank score tag")
            }
            // A document id may contain spaces: it is everything between "Q0" and the last three fields.
            let (query, doc) = (String(cols[0]), cols[2..<cols.count - 3].joined(separator: " "))
            // A document twice in one query's ranking has no single rank (trec_eval refuses it too).
            guard seen[query, default: []].insert(doc).inserted else {
                throw CorpusError("\(path):\(lines.lineNumber)", "document \"\(doc)\" is listed twice for query \"\(query)\"")
            }
            add(query: query, doc: doc, score: score)
        }
    }

    public mutating func add(query: String, doc: String, score: Double) {
        if results[query] == nil { queryOrder.append(query) }
        results[query, default: []].append((doc, score))
    }
}
