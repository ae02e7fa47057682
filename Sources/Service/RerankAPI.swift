import Foundation
import Rerank

/// Which rerank API a request speaks: Cohere's (`/v1/rerank`, `/v2/rerank`) or Jina's (`/rerank`). The requests
/// share their fields; the answers differ in their envelope (`meta` or `model` and `usage`) and in whether
/// documents come back by default.
public enum RerankDialect: String, Sendable {
    case cohereV1, cohereV2, jina
}

/// An answer other than 200: its status and the message (`{"message": …}`, Cohere's error shape), naming the
/// field where the request is at fault.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    /// Seconds for `Retry-After` (429, 503).
    public var retryAfter: Int?
    public init(_ status: Int, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }
}

/// A rerank request, read and checked.
public struct RerankCall: Sendable, Equatable {
    public var dialect: RerankDialect
    public var query: String
    public var documents: [String]
    public var topN: Int?
    public var returnDocuments: Bool
    public var model: String?
    /// An instruction template with FILL_QUERY_HERE, instead of the server's.
    public var instruction: String?
    /// Each result carries its reasoning, direct score, forced close and token count.
    public var returnReasoning: Bool
    /// Server-sent events: tokens and verdicts as they come, then the ranked list.
    public var stream: Bool
}

/// The body of a rerank request as the three APIs send it; fields the server does not use (`max_chunks_per_doc`,
/// `rank_fields`, `max_tokens_per_doc`) are accepted and ignored, as clients send them.
struct RerankBody: Decodable {
    var query: String
    var documents: [DocumentInput]
    var topN: Int?
    var returnDocuments: Bool?
    var model: String?
    var instruction: String?
    var returnReasoning: Bool?
    var stream: Bool?
    enum CodingKeys: String, CodingKey {
        case query, documents, model, instruction, stream
        case topN = "top_n"
        case returnDocuments = "return_documents"
        case returnReasoning = "return_reasoning"
    }
}

/// A document: a string, or an object with `text` (Cohere's and Jina's object form).
struct DocumentInput: Decodable {
    var text: String
    private enum Keys: String, CodingKey { case text }
    init(from decoder: Decoder) throws {
        if let s = try? decoder.singleValueContainer().decode(String.self) {
            text = s
            return
        }
        guard let object = try? decoder.container(keyedBy: Keys.self) else {
            throw DecodingError.typeMismatch(DocumentInput.self, .init(codingPath: decoder.codingPath, debugDescription: "a document"))
        }
        text = try object.decode(String.self, forKey: .text)
    }
}

public enum RerankAPI {
    /// Reads a rerank request: malformed JSON and wrong or missing fields are 400s that name the field; more than
    /// `maxDocuments` documents is a 413.
    public static func parse(_ body: Data, dialect: RerankDialect, maxDocuments: Int) throws(APIError) -> RerankCall {
        let b: RerankBody = try decode(body)
        guard !b.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw APIError(400, "query: empty") }
        guard !b.documents.isEmpty else { throw APIError(400, "documents: empty (give at least one)") }
        guard b.documents.count <= maxDocuments else {
            throw APIError(413, "documents: \(b.documents.count) documents, at most \(maxDocuments) per request (the server's --max-documents)")
        }
        if let n = b.topN, n < 1 { throw APIError(400, "top_n: must be at least 1, got \(n)") }
        if let i = b.instruction, let problem = Rank1Prompt.validate(instruction: i) { throw APIError(400, "instruction: \(problem)") }
        return RerankCall(
            dialect: dialect, query: b.query, documents: b.documents.map(\.text), topN: b.topN,
            returnDocuments: b.returnDocuments ?? (dialect == .jina), model: b.model, instruction: b.instruction,
            returnReasoning: b.returnReasoning ?? false, stream: b.stream ?? false)
    }

    /// A JSON body decoded, its failure said as a 400 naming the field (`documents[2].text: missing`).
    static func decode<T: Decodable>(_ body: Data) throws(APIError) -> T {
        do { return try JSONDecoder().decode(T.self, from: body) } catch let e as DecodingError {
            throw APIError(400, describe(e))
        } catch {
            throw APIError(400, "malformed JSON: \(error)")
        }
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.reduce("") { out, k in k.intValue.map { out + "[\($0)]" } ?? (out.isEmpty ? k.stringValue : out + "." + k.stringValue) }
        }
        switch e {
        case .keyNotFound(let key, let c): return "\(path(c.codingPath + [key])): missing"
        case .typeMismatch(let type, let c): return "\(path(c.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let c): return "\(path(c.codingPath)): expected \(typeName(type)), got null"
        case .dataCorrupted(let c):
            return c.codingPath.isEmpty ? "malformed JSON: the body is not a JSON object" : "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "malformed request: \(e)"
        }
    }

    private static func typeName(_ t: Any.Type) -> String {
        switch t {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Bool.Type: return "true or false"
        case is [DocumentInput].Type, is [Any].Type: return "an array"
        default: return t == DocumentInput.self ? "a string or an object with text" : "a JSON object"
        }
    }
}
