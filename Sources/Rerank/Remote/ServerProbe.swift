import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What a server is and what it can show, asked once before the first judgment. Real Rank1 checkpoints have
/// `</think>` as a control token, which servers hide from output text by default (PROTOCOL.md): the probe
/// finds how this server lets the client see it, or refuses before judging with the cause and the fix.
public struct ServerFacts: Sendable, Equatable {
    /// llama-cpp-python's server generates for one request at a time, and by default a new request interrupts
    /// the running one (its chain would end early, as if the model had stopped): it gets one stream.
    var oneStreamAtATime: Bool { kind == .llamaCppPython }
    /// Streams to keep open to this server when `asked` for.
    func streams(asked: Int) -> Int { oneStreamAtATime ? 1 : asked }

    public enum Kind: String, Sendable {
        case vllm = "vLLM"
        case llamaServer = "llama.cpp llama-server"
        case llamaCppPython = "llama-cpp-python"
        case other = "OpenAI-compatible server"
    }
    /// How the client recognises a closed chain in the stream.
    public enum CloseSignal: String, Sendable {
        /// `</think>` appears in the text (several tokens, or a server that renders special tokens).
        case text
        /// By the id of each streamed token (llama-server's logprobs carry ids even when text hides them).
        case tokenID = "token id"
    }
    public var kind: Kind
    public var servedModels: [String]
    public var vocabulary: VocabularyFacts?
    public var closeSignal: CloseSignal
    /// Ids of end-of-turn markers, masked (with `</think>`) while a chain is shorter than its minimum.
    public var endOfTurnTokens: [Int32]
    /// Ids of tokens that start `</think>` as text ("</"), masked likewise.
    public var closeStartTokens: [Int32]
}

actor ServerProbe {
    private let configuration: RemoteConfiguration
    private let http: HTTPStreamer
    private let tokenizer: ServerTokenizer
    private var facts: ServerFacts?

    init(configuration: RemoteConfiguration, http: HTTPStreamer, tokenizer: ServerTokenizer) {
        self.configuration = configuration
        self.http = http
        self.tokenizer = tokenizer
    }

    func run() async throws -> ServerFacts {
        if let facts { return facts }
        let models = try await servedModels()
        let props = try? await json(get: "props")
        var kind = ServerFacts.Kind.other
        if let props, props["build_info"] != nil || props["default_generation_settings"] != nil {
            kind = .llamaServer
        } else if models.owners.contains("vllm") {
            kind = .vllm
        }
        if !models.ids.isEmpty && !models.ids.contains(configuration.model) && kind != .llamaServer {
            // llama-server answers for its one model whatever the name; other servers refuse unknown names.
            throw RerankError(
                "the server at \(configuration.baseURL.absoluteString) does not serve \"\(configuration.model)\"; "
                    + "it serves: \(models.ids.joined(separator: ", ")) (pass one of them with --model)")
        }
        var vocabulary: VocabularyFacts?
        let close = await tokenizer.tokens(Rank1Prompt.thinkClose)
        if await tokenizer.dialectName == "extras" { kind = .llamaCppPython }  // only its server has /extras/tokenize
        if let close {
            let t = await tokenizer.tokens(" true")
            let f = await tokenizer.tokens(" false")
            vocabulary = VocabularyFacts(
                thinkClose: close.count == 1 ? Int32(close[0]) : nil, thinkCloseIsControl: false,
                trueToken: t?.count == 1 ? Int32(t![0]) : nil,
                falseToken: f?.count == 1 ? Int32(f![0]) : nil,
                chatTemplate: props?["chat_template"] as? String)
        }
        var signal = ServerFacts.CloseSignal.text
        if let id = vocabulary?.thinkClose {
            let (text, seenID) = try await configuration.retrying { try await self.forcedToken(id, kind: kind) }
            if text.contains(Rank1Prompt.thinkClose) {
                signal = .text
            } else if seenID == id {
                signal = .tokenID
                vocabulary?.thinkCloseIsControl = true
            } else {
                throw RerankError(ServerProbe.hiddenCloseMessage(kind: kind, id: id, text: text))
            }
        }
        var endOfTurn: [Int32] = []
        for marker in ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>", "</s>"] {
            if let t = await tokenizer.tokens(marker), t.count == 1 { endOfTurn.append(Int32(t[0])) }
        }
        let closeStart = (await tokenizer.tokens("</")).map { $0.count == 1 ? [Int32($0[0])] : [] } ?? []
        let f = ServerFacts(
            kind: kind, servedModels: models.ids, vocabulary: vocabulary, closeSignal: signal,
            endOfTurnTokens: endOfTurn, closeStartTokens: closeStart)
        facts = f
        return f
    }

    static func hiddenCloseMessage(kind: ServerFacts.Kind, id: Int32, text: String) -> String {
        let shown = text.isEmpty ? "nothing" : "\"\(text)\""
        let cause =
            "the model's </think> is a special token (id \(id)) and this \(kind.rawValue) hides special tokens "
            + "(asked to write </think>, it answered \(shown), with no token id), so a closed chain cannot be told from an unclosed one"
        let fix: String
        switch kind {
        case .llamaCppPython:
            fix =
                "llama-cpp-python's server always detokenizes without special tokens; serve the GGUF with llama.cpp's "
                + "llama-server (ids are read from its logprobs, with or without --special), with vLLM, or judge in-process with --model FILE.gguf"
        case .llamaServer: fix = "start llama-server with --special"
        case .vllm: fix = "this vLLM ignores \"skip_special_tokens\": false; use a vLLM that honours it (0.7 or later)"
        case .other:
            fix =
                "make the server render special tokens (vLLM: \"skip_special_tokens\": false; llama-server: --special), "
                + "or judge in-process with --model FILE.gguf"
        }
        return "refusing to judge: \(cause). Fix: \(fix)."
    }

    /// Generates one token forced to `id` (a large bias on it alone) and returns its text and, where the
    /// server gives one, its id.
    private func forcedToken(_ id: Int32, kind: ServerFacts.Kind) async throws -> (String, Int32?) {
        var body: [String: Any] = [
            "model": configuration.model, "prompt": Rank1Prompt.thinkOpen, "max_tokens": 1, "temperature": 0,
            "logprobs": 1, "stream": false,
        ]
        body["logit_bias"] = kind == .llamaServer ? [[Int(id), 100]] as [Any] : ["\(id)": 100]
        body.merge(RemoteEndpoint.specialTokenFields(kind)) { a, _ in a }
        // No watchdog times this request: a server that sends nothing for the stall limit has failed it (and it is
        // asked again, as a stalled stream is).
        let request = try RemoteEndpoint.request(configuration, url: configuration.completionsURL, body: body)
        let data = try await http.data(request, timeout: configuration.idleTimeout * 1.5 + 1)
        // The answer has a streamed chunk's shape: choices[0].text and its logprobs.
        guard let c = try CompletionJSON.chunk(String(decoding: data, as: UTF8.self)) else {
            throw CompletionJSON.ParseError.malformed("no choices")
        }
        return (c.text, c.tokens.first?.id)
    }

    /// Whether the server answers at all (its model list; a server without one answers 404).
    func answers() async throws {
        do { _ = try await json(get: "v1/models") } catch let e as HTTPError where e.status == 404 {}
    }

    private func servedModels() async throws -> (ids: [String], owners: Set<String>) {
        let obj: [String: Any]
        do { obj = try await json(get: "v1/models") } catch let e as HTTPError where e.status != 401 && e.status != 403 {
            return ([], [])  // a server without the list: the name is checked by its answers
        }
        let data = obj["data"] as? [[String: Any]] ?? []
        return (data.compactMap { $0["id"] as? String }, Set(data.compactMap { $0["owned_by"] as? String }))
    }

    private func json(get path: String) async throws -> [String: Any] {
        var r = URLRequest(url: configuration.rootURL.appendingPathComponent(path))
        r.httpMethod = "GET"
        if let key = configuration.apiKey { r.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        let data: Data
        do { data = try await http.data(r, timeout: configuration.connectTimeout) } catch let e as URLError where e.code == .timedOut {
            throw RemoteFailure.noAnswer(configuration.connectTimeout, configuration.baseURL.absoluteString)
        }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RerankError("\(path): the server's answer is not a JSON object")
        }
        return obj
    }
}
