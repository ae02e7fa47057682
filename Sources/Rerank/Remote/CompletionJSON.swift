import Foundation

/// The parts of OpenAI-compatible /v1/completions responses that Rank1 needs, in both shapes servers send:
/// OpenAI's legacy `logprobs` {tokens, token_logprobs, top_logprobs: [{token: logprob}]} (vLLM,
/// llama-cpp-python) and llama.cpp server's `logprobs.content` [{token, logprob, top_logprobs: [{token, logprob}]}].
public enum CompletionJSON {
    public struct Chunk: Equatable, Sendable {
        public var text: String
        public var finishReason: String?
        /// The chunk's tokens where the server lists them (logprobs): id (llama-server) and text.
        public var tokens: [Token] = []
        /// Whether the chunk carried a choice (a usage-only chunk does not), and the usage's completion_tokens if any.
        public var hasChoice = true
        public var completionTokens: Int?
    }

    public struct Token: Equatable, Sendable {
        public var id: Int32?
        public var text: String
    }

    public enum ParseError: Error, CustomStringConvertible {
        case malformed(String)
        case server(String)
        public var description: String {
            switch self {
            case .malformed(let m): return "malformed response: \(m)"
            case .server(let m): return "server error: \(m)"
            }
        }
    }

    static func object(_ data: Data) throws -> [String: Any] {
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            let head = String(decoding: data.prefix(200), as: UTF8.self)
            if head.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("<") {
                throw ParseError.malformed(RemoteFailure.page(head, expected: "JSON").description)
            }
            throw ParseError.malformed(head)
        }
        if let err = obj["error"] {
            if let e = err as? [String: Any], let m = e["message"] as? String { throw ParseError.server(m) }
            throw ParseError.server("\(err)")
        }
        return obj
    }

    /// The fields a chunk is read for, at any depth (the rest is checked and skipped).
    static let chunkFields = JSON.Keys([
        "error", "usage", "completion_tokens", "choices", "text", "content", "logprobs", "tokens", "finish_reason", "id", "token",
    ])

    /// One streamed chunk (an SSE event's data), or nil for the end marker "[DONE]". Read with JSONReader: this
    /// runs once per streamed token.
    public static func chunk(_ event: String) throws -> Chunk? {
        var event = event
        return try event.withUTF8 { bytes -> Chunk? in
            var from = 0
            var to = bytes.count
            while from < to, bytes[from] == 32 || bytes[from] == 9 { from += 1 }
            while to > from, bytes[to - 1] == 32 || bytes[to - 1] == 9 { to -= 1 }
            if to - from == 6, Array(bytes[from..<to]) == Array("[DONE]".utf8) { return nil }
            guard let root = JSON.parse(bytes, keeping: chunkFields), case .object = root, root["error"] == nil else {
                _ = try object(Data(bytes))  // says what is wrong (a page, a server error, the text)
                throw ParseError.malformed(String(decoding: bytes.prefix(200), as: UTF8.self))
            }
            // A usage-only chunk (vLLM with include_usage, before [DONE]): no text and no finish of its own.
            let completionTokens = root["usage"]?["completion_tokens"]?.int
            if root["choices"]?.array?.isEmpty == true, root["usage"] != nil {
                return Chunk(text: "", finishReason: nil, hasChoice: false, completionTokens: completionTokens)
            }
            guard let first = root["choices"]?.array?.first, case .object = first else {
                throw ParseError.malformed("no choices in \(String(decoding: bytes.prefix(200), as: UTF8.self))")
            }
            // /v1/completions puts the text in "text"; some servers stream "content".
            let text = first["text"]?.string ?? first["content"]?.string ?? ""
            // The tokens the logprobs list: llama.cpp's `content` [{id, token}] or the legacy `tokens` [text].
            var tokens: [Token] = []
            if let lp = first["logprobs"] {
                if let content = lp["content"]?.array {
                    tokens = content.map { Token(id: $0["id"]?.int.map { Int32(truncatingIfNeeded: $0) }, text: $0["token"]?.string ?? "") }
                } else if let list = lp["tokens"]?.array {
                    tokens = list.map { Token(id: nil, text: $0.string ?? "") }
                }
            }
            return Chunk(text: text, finishReason: first["finish_reason"]?.string, tokens: tokens, completionTokens: completionTokens)
        }
    }

    /// Top log-probabilities of the first generated token, as token text → logprob.
    public static func firstTokenTopLogprobs(_ data: Data) throws -> [String: Double] {
        let obj = try object(data)
        guard let choices = obj["choices"] as? [[String: Any]], let first = choices.first else {
            throw ParseError.malformed("no choices")
        }
        guard let lp = first["logprobs"] as? [String: Any] else {
            throw ParseError.malformed(
                "the answer carries no logprobs: Rank1 reads its verdict from the logprobs of \" true\" and \" false\" "
                    + "(the request asks for \"logprobs\": 20; the server must return them: vLLM caps them with --max-logprobs, default 20)")
        }
        var out: [String: Double] = [:]
        // No token at all (llama-cpp-python leaves an end-of-generation token out of its answer): nothing listed.
        if let top = lp["top_logprobs"] as? [Any], top.isEmpty { return [:] }
        if let content = lp["content"] as? [Any], content.isEmpty { return [:] }
        if let top = lp["top_logprobs"] as? [Any], let firstTop = top.first as? [String: Any] {
            // Legacy shape: [{"token": logprob, …}]
            for (k, v) in firstTop { if let d = (v as? NSNumber)?.doubleValue { out[k] = d } }
            return out
        }
        if let content = lp["content"] as? [[String: Any]], let c = content.first {
            // llama.cpp shape: [{"token", "logprob", "top_logprobs": [{"token", "logprob"}]}]
            if let top = c["top_logprobs"] as? [[String: Any]] {
                for t in top {
                    if let tok = t["token"] as? String, let d = (t["logprob"] as? NSNumber)?.doubleValue { out[tok] = d }
                }
            }
            if let tok = c["token"] as? String, let d = (c["logprob"] as? NSNumber)?.doubleValue, out[tok] == nil { out[tok] = d }
            return out
        }
        throw ParseError.malformed("logprobs in an unknown shape")
    }

    /// The Rank1 score from the top log-probabilities: sigmoid(lp(" true") − lp(" false")). A token missing
    /// from the list is bounded by the smallest listed logprob (`exact` is false then); both missing is an error.
    public static func score(_ top: [String: Double]) throws -> (score: Double, pTrue: Double, exact: Bool) {
        let t = top[" true"]
        let f = top[" false"]
        guard t != nil || f != nil else {
            throw ParseError.malformed("neither \" true\" nor \" false\" is among the top logprobs after </think>")
        }
        let floor = top.values.min() ?? -100
        let lt = t ?? floor
        let lf = f ?? floor
        return (Rank1Score.of(logitTrue: lt, logitFalse: lf), exp(lt), t != nil && f != nil)
    }
}
