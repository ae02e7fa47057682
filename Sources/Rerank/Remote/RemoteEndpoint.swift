import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One OpenAI-compatible server (vLLM, llama.cpp's llama-server, llama-cpp-python's server) judging passages by
/// the Rank1 protocol (ReasoningChain): the server only generates tokens and reports logprobs. Per passage: the
/// reasoning is streamed from /v1/completions (greedy, at most the budget; the client counts tokens and stops
/// reading at the budget or at `</think>`, seen in the text or by token id, as ServerProbe found this server
/// shows it); then the verdict is one token with logprobs on `prompt + closing text`, scored from " true"/" false".
/// RemoteReranker runs jobs over one or several of these.
final class RemoteEndpoint: Sendable {
    let configuration: RemoteConfiguration
    /// The address as shown to people (with any key in it redacted).
    let name: String
    private let http: HTTPStreamer
    private let tokenizer: ServerTokenizer
    private let probe: ServerProbe

    init(configuration: RemoteConfiguration) {
        self.configuration = configuration
        name = configuration.redact(configuration.baseURL.absoluteString)
        // No silence limit in the transport: the passage watchdog times streams (counting stalls against the stall
        // budget and saying so), probes run under a time limit of their own.
        http = HTTPStreamer(caFile: configuration.caFile)
        tokenizer = ServerTokenizer(configuration: configuration, http: http)
        probe = ServerProbe(configuration: configuration, http: http, tokenizer: tokenizer)
    }

    /// The server's facts (probed once, under a time limit) and the profile they give, or why it cannot judge.
    func probed() async throws -> (facts: ServerFacts, choice: ProfileChoice) {
        let facts: ServerFacts
        let limit = configuration.connectTimeout * 3
        do {
            facts = try await withTimeout(limit, RemoteFailure.noAnswer(limit, configuration.baseURL.absoluteString)) { [probe] in
                try await probe.run()
            }
        } catch { throw RerankError(reason(error)) }
        if let v = facts.vocabulary, v.trueToken == nil || v.falseToken == nil {
            throw RerankError(
                "the model \"\(configuration.model)\" has no single token for \(v.trueToken == nil ? "\" true\"" : "\" false\"") "
                    + "(by the server's tokenizer); Rank1 reads its verdict from the single tokens \" true\" and \" false\"")
        }
        var choice = PromptProfile.automatic(facts.vocabulary)
        choice.reason += "; \(facts.kind.rawValue), closes seen by \(facts.closeSignal.rawValue)"
        if facts.oneStreamAtATime { choice.reason += ", one stream at a time (it serves one request at a time)" }
        return (facts, choice)
    }

    /// Whether a server taken out of a fleet answers again: its model list (and, if it never answered, the
    /// whole probe), under the probe's time limit.
    func recheck() async throws -> (facts: ServerFacts, choice: ProfileChoice) {
        let limit = configuration.connectTimeout * 3
        do {
            try await withTimeout(limit, RemoteFailure.noAnswer(limit, configuration.baseURL.absoluteString)) { [probe] in try await probe.answers() }
        } catch { throw RerankError(reason(error)) }
        return try await probed()
    }

    /// Why something failed, in words, with the key redacted (servers echo headers in their error bodies).
    func reason(_ e: Error) -> String { configuration.redact(RemoteEndpoint.describe(e)) }

    /// Judges passage `p` of the request, under its deadline and the stall timeout. `fitted`: the passage as
    /// already cut for this server (by its direct verdict), else it is cut here.
    func judge(
        _ p: Int, _ request: RerankRequest, _ filled: String, _ facts: ServerFacts, _ automatic: PromptProfile,
        fitted: (String, Bool)? = nil, _ emit: @escaping @Sendable (RerankEvent) -> Void
    ) async throws -> Verdict {
        let clock = ProgressClock()
        var v = try await watched(clock) { try await self.judgeChain(p, request, filled, facts, automatic, fitted, clock, emit) }
        v.endpoint = name
        return v
    }

    /// Passage `p`'s direct verdict: one request, `prompt + closing text of a chain with no reasoning`, scored from
    /// the logprobs as every verdict is. Returns it with the passage as cut for this server.
    func direct(
        _ p: Int, _ request: RerankRequest, _ filled: String, _ facts: ServerFacts, _ automatic: PromptProfile
    ) async throws -> (DirectVerdict, fitted: (String, Bool)) {
        let clock = ProgressClock()
        return try await watched(clock) {
            let fitted = await self.fit(request.passages[p], maxTokens: request.maxPassageTokens)
            let profile = request.profile ?? automatic
            let prompt = profile.prompt(filledQuery: filled, passage: fitted.0)
            let closing = profile.forcedCloseSuffix(reasoning: profile.reasoningStart)
            // The prompt first, on its own: the server then evaluates the closing text after it (its prompt cache holds
            // the prompt), as the in-process engine does, rather than both in one pass, whose sums differ; the chain's
            // request reuses the prompt as well.
            try await self.prefill(prompt + profile.reasoningStart, clock)
            let (score, pTrue, fallback) = try await self.verdict(prompt + closing, facts, clock)
            // A fallback 0.5 is no verdict at all: it would sort the provisional list as if it were one.
            if fallback { throw RerankError("neither \" true\" nor \" false\" came with the direct request's logprobs") }
            return (DirectVerdict(score: score, probabilityTrue: pTrue), fitted)
        }
    }

    /// Runs a passage's judgment under its deadline and the stall timeout, measured in tokens received (a server
    /// that trickles bytes without finishing events is stalled all the same).
    private func watched<T: Sendable>(_ clock: ProgressClock, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let deadline = configuration.passageDeadline
        let stall = configuration.idleTimeout
        return try await race(body) {
            while true {
                // Checked often enough for the stall limit, but not 5 times a second for each of 1,024 streams.
                try await Task.sleep(nanoseconds: UInt64(min(1.0, max(0.05, stall / 10)) * 1e9))
                if clock.sinceStart > deadline { throw RemoteFailure.deadline(deadline) }
                if clock.sinceProgress > stall { clock.stalled(stall, budget: self.configuration.stallBudget) }
            }
        }
    }

    static func describe(_ e: Error) -> String {
        if let f = e as? RemoteFailure { return f.description }
        if let h = e as? HTTPError {
            switch h.status {
            case 401, 403: return h.description + " (the API key: $RANK1_API_KEY, $OPENAI_API_KEY or ~/.config/rank1/config.json)"
            case 404: return h.description + " (wrong path? \(RemoteFailure.endpointHint))"
            default: return h.description
            }
        }
        if let p = e as? CompletionJSON.ParseError { return p.description }
        if let u = e as? URLError {
            switch u.code {
            case .timedOut: return "the server stalled (no data for the idle timeout)"
            case .cannotConnectToHost, .cannotFindHost: return "cannot connect to the server (is it running?)"
            case .networkConnectionLost: return "the connection dropped mid-stream"
            case .secureConnectionFailed:
                return "TLS failed (\(u.userInfo[NSLocalizedDescriptionKey] ?? "handshake")): a server behind a private CA? give --ca-file CA.pem"
            default: return "network error: \(u.userInfo[NSLocalizedDescriptionKey] ?? u.localizedDescription)"
            }
        }
        if let r = e as? RerankError { return r.message }
        return "\(e)"
    }

    /// The passage cut as in-process: its first `maxPassageTokens` tokens (by the server's tokenizer), cut back
    /// to a word boundary and marked. A server without a tokenizer endpoint gets the estimate below.
    private func fit(_ p: Passage, maxTokens: Int) async -> (String, Bool) {
        let text = Rank1Prompt.passageText(title: p.title, text: p.text)
        // Every token stands for at least one byte: a passage this short fits without asking the server.
        if text.utf8.count <= maxTokens { return (text, false) }
        guard let tokens = await tokenizer.tokens(text) else { return RemoteEndpoint.fitted(p, maxTokens: maxTokens) }
        if tokens.count <= maxTokens { return (text, false) }
        guard let kept = await tokenizer.text(Array(tokens.prefix(maxTokens))) else { return RemoteEndpoint.fitted(p, maxTokens: maxTokens) }
        return (Rank1Prompt.cutAtWordEnd(kept) + " […]", true)
    }

    /// A passage cut to about `maxPassageTokens` (4 characters a token) at a word boundary, for servers
    /// that do not expose their tokenizer.
    static func fitted(_ p: Passage, maxTokens: Int) -> (String, Bool) {
        let text = Rank1Prompt.passageText(title: p.title, text: p.text)
        let limit = maxTokens * 4
        guard text.count > limit else { return (text, false) }
        return (Rank1Prompt.cutAtWordEnd(String(text.prefix(limit))) + " […]", true)
    }

    private func judgeChain(
        _ p: Int, _ request: RerankRequest, _ filled: String, _ facts: ServerFacts, _ automatic: PromptProfile,
        _ fitted: (String, Bool)?, _ clock: ProgressClock, _ emit: @Sendable (RerankEvent) -> Void
    ) async throws -> Verdict {
        let started = Date()
        let cut: (String, Bool)
        if let fitted { cut = fitted } else { cut = await fit(request.passages[p], maxTokens: request.maxPassageTokens) }
        let (passage, truncated) = cut
        let profile = request.profile ?? automatic
        let prompt = profile.prompt(filledQuery: filled, passage: passage)
        var chain = ReasoningChain(rules: ReasoningChain.Rules(request: request, profile: profile, thinkClose: facts.vocabulary?.thinkClose))
        emit(.started(passage: p, truncated: truncated))
        if !chain.reasoning.isEmpty { emit(.token(passage: p, text: chain.reasoning)) }
        var finish: String?
        while true {
            // A round is retried from its start after a transient failure; the stream says so once.
            let roundStart = chain
            let closing: String
            (closing, finish) = try await configuration.retrying(
                onRetry: { error, attempt in
                    chain = roundStart
                    emit(
                        .restarted(
                            passage: p, reasoning: chain.reasoning, reason: "\(self.reason(error)); retry \(attempt)/\(self.configuration.retries)"))
                },
                {
                    try await generate(&chain, prompt: prompt, facts: facts, clock: clock) { emit(.token(passage: p, text: $0)) }
                })
            let (score, pTrue, fallback) = try await verdict(prompt + closing, facts, clock)
            if let wait = chain.reopen() {
                emit(.token(passage: p, text: wait))
                continue
            }
            var v = Verdict(
                passage: p, score: score, probabilityTrue: pTrue, reasoning: chain.reasoning, reasoningTokens: chain.totalThought,
                forcedClose: chain.forced, rethinks: chain.rethinks, truncatedPassage: truncated, promptTokens: 0,
                seconds: Date().timeIntervalSince(started), repetitive: chain.repetitive,
                stoppedRepeating: chain.stoppedRepeating, serverFinish: chain.forced ? finish : nil)
            v.fallback = fallback
            return v
        }
    }

    /// Greedy and unpenalised: llama.cpp-based servers default repeat_penalty to 1.1, which would change
    /// both the chosen tokens and the reported logprobs.
    static var neutralSampling: [String: Any] { ["temperature": 0, "repeat_penalty": 1.0, "frequency_penalty": 0, "presence_penalty": 0] }

    /// What a server needs to show special tokens (`</think>` of Rank1 checkpoints) in its text: vLLM hides them
    /// unless asked, and by default joins special tokens with spaces. Other servers ignore these fields.
    static func specialTokenFields(_ kind: ServerFacts.Kind) -> [String: Any] {
        kind == .llamaServer || kind == .llamaCppPython ? [:] : ["skip_special_tokens": false, "spaces_between_special_tokens": false]
    }

    static func request(_ configuration: RemoteConfiguration, url: URL, body: [String: Any]) throws -> URLRequest {
        let body = body.merging(RemoteEndpoint.neutralSampling) { a, _ in a }
        var r = URLRequest(url: url)
        r.httpMethod = "POST"
        r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let key = configuration.apiKey { r.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        r.httpBody = try JSONBody.encode(body)
        return r
    }

    /// Streams greedy reasoning into the chain until it closes (the closing text to evaluate is returned, with
    /// the server's finish_reason when the server ended the stream). The client enforces the budget: it stops
    /// reading (and so closes the stream) at the chain's last token.
    private func generate(
        _ chain: inout ReasoningChain, prompt: String, facts: ServerFacts, clock: ProgressClock,
        onText: (String) -> Void
    ) async throws -> (String, String?) {
        while true {
            // While the chain is shorter than its minimum, closing tokens are masked (as in-process) for just
            // the tokens still missing; then the stream continues unmasked.
            let masked = chain.closingMasked
            let maxTokens = masked ? min(chain.remainingBudget, chain.rules.minTokens - chain.thought) : chain.remainingBudget
            if maxTokens <= 0 { return (RemoteEndpoint.closingText(chain.endOfGeneration()), nil) }
            var body: [String: Any] = [
                "model": configuration.model, "prompt": prompt + chain.reasoning, "max_tokens": maxTokens,
                "temperature": 0, "stream": true,
            ]
            body.merge(RemoteEndpoint.specialTokenFields(facts.kind)) { a, _ in a }
            // vLLM may send several tokens in one chunk (speculative decoding): its usage counts them exactly.
            if facts.kind == .vllm { body["stream_options"] = ["include_usage": true] }
            if facts.closeSignal == .tokenID { body["logprobs"] = 1 }  // llama-server: each chunk names its token id
            if masked {
                let ids = [facts.vocabulary?.thinkClose].compactMap { $0 } + facts.endOfTurnTokens + facts.closeStartTokens
                body["logit_bias"] =
                    facts.kind == .llamaServer
                    ? ids.map { [Int($0), false] as [Any] } as [Any]
                    : Dictionary(ids.map { ("\($0)", -100) }, uniquingKeysWith: { a, _ in a })
                body["min_tokens"] = maxTokens
            }
            var sse = SSEParser()
            var finish: String?
            var ended = false
            var received = 0  // completion chunks of this request: one per token on every server seen
            var usage: Int?  // completion_tokens, where the server reports it
            var sawEvent = false  // a stream that had events and then stopped was cut, not malformed
            let interrupt = clock.nextRequest()
            let request = try RemoteEndpoint.request(configuration, url: configuration.completionsURL, body: body)
            stream: for try await bytes in http.stream(request, interrupt: interrupt) {
                try Task.checkCancellation()
                if sse.bytesSeen == 0, let first = bytes.first(where: { ![9, 10, 13, 32].contains($0) }), first == UInt8(ascii: "<") {
                    throw RemoteFailure.page(String(decoding: bytes.prefix(120), as: UTF8.self), expected: "an event stream")
                }
                sse.feed(bytes)
                if sse.overlong { throw RemoteFailure.overlongLine(sse.maxLine) }
                if sse.invalidUTF8 { throw RemoteFailure.invalidUTF8 }
                for event in sse.take() {
                    sawEvent = true
                    guard let c = try CompletionJSON.chunk(event) else {
                        // [DONE]: a stream the server finished has said why by now; one it cut has not.
                        if finish == nil { throw RemoteFailure.interrupted }
                        ended = true
                        break stream
                    }
                    clock.progressed()
                    if c.hasChoice { received += 1 }
                    if let u = c.completionTokens { usage = u }
                    if !c.text.isEmpty || !c.tokens.isEmpty {
                        let id = c.tokens.count == 1 ? c.tokens[0].id : nil
                        let ends = RemoteEndpoint.endMarkers.contains(c.text) || (id.map { facts.endOfTurnTokens.contains($0) } ?? false)
                        let (shown, step) = chain.append(token: id, text: c.text, endsGeneration: ends)
                        if !shown.isEmpty { onText(shown) }
                        if case .close(let closing, _) = step { return (closing, c.finishReason) }  // leaving closes the stream
                    }
                    if let r = c.finishReason {
                        finish = r
                        ended = true
                    }
                }
            }
            try Task.checkCancellation()
            if !ended {
                if sse.hasPartialEvent || sawEvent { throw RemoteFailure.truncated }
                throw CompletionJSON.ParseError.malformed("the answer was not an event stream")
            }
            // "length" before the tokens asked for: the server's context is full, not the budget spent.
            if finish == "length" && (usage ?? received) < maxTokens { throw RemoteFailure.contextEnded(chain.totalThought) }
            if masked && finish == "length" { continue }
            return (RemoteEndpoint.closingText(chain.endOfGeneration()), finish)
        }
    }

    private static func closingText(_ step: ReasoningChain.Step) -> String {
        if case .close(let closing, _) = step { return closing }
        return ""
    }

    /// End-of-turn markers as text: a server that renders special tokens (llama-server --special) writes them
    /// at the end of generation; they end the chain and are never reasoning.
    static let endMarkers: Set<String> = ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>", "</s>", "<|end|>", "<eos>"]

    /// P(true)/(P(true)+P(false)) after the closing text, and P(" true") over the vocabulary. From the top 20
    /// logprobs when both words are there (a Rank1 model puts them first); otherwise the whole distribution
    /// is asked for (llama.cpp servers), or for vLLM (which caps logprobs) the reference's restriction to
    /// the two tokens; when even that is refused, the reference's fallback score 0.5. A server that keeps failing
    /// (transient errors past the retries) fails the judgment instead: its trouble is not the model's verdict.
    /// Returns the score, P(" true"), and whether the score is the fallback.
    private func verdict(_ prompt: String, _ facts: ServerFacts, _ clock: ProgressClock) async throws -> (Double, Double, Bool) {
        var masked: [String: Any] = [:]
        var top = try await verdictLogprobs(prompt, ["logprobs": 20], clock)
        if top.isEmpty && !facts.endOfTurnTokens.isEmpty {
            // The model would end its turn here and the server left that token out with its logprobs: ask again
            // with end-of-turn tokens masked, which leaves the ratio P(true)/P(false) exactly as it was (and keep
            // the mask for the wider question below, which would otherwise come back just as empty).
            masked = ["logit_bias": Dictionary(facts.endOfTurnTokens.map { ("\($0)", -100) }, uniquingKeysWith: { a, _ in a })]
            top = try await verdictLogprobs(prompt, masked.merging(["logprobs": 20]) { _, b in b }, clock)
        }
        if top[" true"] == nil || top[" false"] == nil {
            let wider: [String: Any]
            if facts.kind == .vllm, let t = facts.vocabulary?.trueToken, let f = facts.vocabulary?.falseToken {
                wider = ["logprobs": 2, "allowed_token_ids": [Int(t), Int(f)]]
            } else {
                wider = masked.merging(["logprobs": 1 << 18]) { _, b in b }
            }
            do {
                top = try await verdictLogprobs(prompt, wider, clock)
            } catch  where RemoteConfiguration.isRefusal(error) {
                // Refused (the reference's restricted generation failing): keep what the top 20 gave. Anything
                // else (a garbled answer, a dead server) fails the judgment rather than pass for a verdict.
            }
        }
        guard top[" true"] != nil || top[" false"] != nil else { return (Rank1Score.fallback, 0, true) }
        let (score, pTrue, _) = try CompletionJSON.score(top)
        return (score, pTrue, false)
    }

    /// Has the server evaluate `prompt` (one token generated and dropped), so that its prompt cache holds it.
    private func prefill(_ prompt: String, _ clock: ProgressClock) async throws {
        let body: [String: Any] = ["model": configuration.model, "prompt": prompt, "max_tokens": 1, "stream": false]
        let request = try RemoteEndpoint.request(configuration, url: configuration.completionsURL, body: body)
        _ = try await configuration.retrying { try CompletionJSON.object(try await http.data(request, interrupt: clock.nextRequest())) }
    }

    private func verdictLogprobs(_ prompt: String, _ extra: [String: Any], _ clock: ProgressClock) async throws -> [String: Double] {
        var body: [String: Any] = ["model": configuration.model, "prompt": prompt, "max_tokens": 1, "stream": false]
        body.merge(extra) { _, b in b }
        let request = try RemoteEndpoint.request(configuration, url: configuration.completionsURL, body: body)
        return try await configuration.retrying {
            try CompletionJSON.firstTokenTopLogprobs(try await http.data(request, interrupt: clock.nextRequest()))
        }
    }
}
