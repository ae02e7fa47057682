import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The server's own tokenizer, so a long passage is cut at the same token as in-process (not by a guess of
/// characters per token). Three dialects exist: vLLM (`/tokenize`, `/detokenize` at the server root, fields
/// `prompt`), llama.cpp's server (the same paths, field `content`) and llama-cpp-python (`/extras/tokenize`,
/// `/extras/detokenize`, field `input`, which adds the model's BOS). The first that answers is kept; a server
/// with none gets nil and the caller falls back to an estimate.
actor ServerTokenizer {
    private enum Dialect { case root, extras, none }
    private let root: URL
    private let model: String
    private let apiKey: String?
    private let http: HTTPStreamer
    private var dialect: Dialect?
    private var leadingSpecials = 0

    init(configuration: RemoteConfiguration, http: HTTPStreamer) {
        root = configuration.rootURL
        model = configuration.model
        apiKey = configuration.apiKey
        self.http = http
    }

    private func post(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        var r = URLRequest(url: root.appendingPathComponent(path))
        r.httpMethod = "POST"
        r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { r.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        r.httpBody = try JSONBody.encode(body)
        // A server that does not answer this quickly is treated as having no tokenizer.
        let data = try await http.data(r, timeout: 10)
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RerankError("\(path): not a JSON object")
        }
        return obj
    }

    private func rawTokens(_ text: String, _ d: Dialect) async throws -> [Int] {
        let obj: [String: Any]
        switch d {
        case .root:
            obj = try await post("tokenize", ["model": model, "prompt": text, "content": text, "add_special_tokens": false, "add_special": false])
        case .extras: obj = try await post("extras/tokenize", ["model": model, "input": text])
        case .none: return []
        }
        guard let t = obj["tokens"] as? [Any] else { throw RerankError("tokenize: no tokens in the answer") }
        return t.compactMap { ($0 as? NSNumber)?.intValue }
    }

    /// "root", "extras" or "none" once the tokenizer was asked; nil before.
    var dialectName: String? {
        switch dialect {
        case .root?: return "root"
        case .extras?: return "extras"
        case .none?: return "none"
        case nil: return nil
        }
    }

    /// The text's tokens without the special tokens the server adds, or nil when the server has no tokenizer
    /// endpoint.
    func tokens(_ text: String) async -> [Int]? {
        if dialect == nil {
            var unsure = false
            for d in [Dialect.root, .extras] {
                do {
                    let empty = try await rawTokens("", d)
                    dialect = d
                    leadingSpecials = empty.count
                    break
                } catch {
                    unsure = unsure || RemoteConfiguration.isTransient(error)
                }
            }
            // Only a server that answered without a tokenizer (404, a refusal, no tokens) has none. A timeout, a
            // 5xx or a cancellation says nothing about it: estimate this once and ask again next time.
            if dialect == nil {
                if Task.isCancelled || unsure { return nil }
                dialect = Dialect.none
            }
        }
        guard let d = dialect, d != .none, let t = try? await rawTokens(text, d) else { return nil }
        return Array(t.dropFirst(leadingSpecials))
    }

    /// The text of a token prefix; a prefix that ends inside a character is shortened until it decodes.
    func text(_ tokens: [Int]) async -> String? {
        var tokens = tokens
        for _ in 0..<4 where !tokens.isEmpty {
            let obj: [String: Any]?
            switch dialect {
            case .root?: obj = try? await post("detokenize", ["model": model, "tokens": tokens])
            case .extras?: obj = try? await post("extras/detokenize", ["model": model, "tokens": tokens])
            default: return nil
            }
            if let s = (obj?["prompt"] ?? obj?["content"] ?? obj?["text"]) as? String { return s }
            tokens.removeLast()
        }
        return nil
    }
}
