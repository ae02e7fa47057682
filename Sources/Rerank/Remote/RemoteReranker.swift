import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Rank1 through an OpenAI-compatible server (vLLM, llama.cpp's server, llama-cpp-python's server), behind
/// the same engine API and events as the in-process engine. Per passage: the reasoning is streamed from
/// /v1/completions (greedy, `budget` tokens) and `</think>` is found in the streamed text, exactly as
/// in-process (a server-side stop string could not tell a closed chain from an end-of-generation); then the
/// verdict is one token with logprobs on `prompt + reasoning + "</think>"` (or the forced close), scored from
/// " true"/" false". Up to `concurrency` passages are in flight; a newer job cancels the running one and
/// closes its streams at once.
public final class RemoteReranker: Reranker, @unchecked Sendable {
    public let configuration: RemoteConfiguration
    private let http: HTTPStreamer
    private let tokenizer: ServerTokenizer
    private let lock = NSLock()
    private var running: Task<Void, Never>?
    private var generation = 0

    public var modelName: String { configuration.model }
    /// Servers are for Rank1 checkpoints: the raw protocol unless a profile is asked for.
    public var automaticProfile: PromptProfile { .rank1 }
    public var backendName: String { "remote \(configuration.baseURL.host ?? configuration.baseURL.absoluteString)" }

    public init(configuration: RemoteConfiguration) {
        self.configuration = configuration
        http = HTTPStreamer(idleTimeout: configuration.idleTimeout)
        tokenizer = ServerTokenizer(configuration: configuration, http: http)
    }

    deinit { http.invalidate() }

    public func start(_ request: RerankRequest) -> AsyncStream<RerankEvent> {
        let (stream, out) = AsyncStream<RerankEvent>.makeStream(bufferingPolicy: .unbounded)
        lock.lock()
        generation += 1
        let g = generation
        running?.cancel()
        let previous = running
        running = Task { [self] in
            await previous?.value  // the superseded job has closed its streams
            await self.run(request, out, g)
            out.finish()
        }
        lock.unlock()
        return stream
    }

    public func cancel() {
        lock.lock()
        generation += 1
        running?.cancel()
        lock.unlock()
    }

    private func isCurrent(_ g: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return g == generation
    }

    private func run(_ request: RerankRequest, _ out: AsyncStream<RerankEvent>.Continuation, _ g: Int) async {
        let start = Date()
        let firstToken = FirstMoment()
        let emit: @Sendable (RerankEvent) -> Void = { [self] e in
            if case .token = e { firstToken.mark(Date().timeIntervalSince(start)) }
            if self.isCurrent(g) && !Task.isCancelled { out.yield(e) }
        }
        let filled = Rank1Prompt.filledQuery(query: request.query, instruction: request.instruction)
        let lanes = max(1, request.schedule == .single ? 1 : min(request.parallel, configuration.concurrency))
        var judged = 0, failed = 0, tokens = 0
        await withTaskGroup(of: (Int, Result<Verdict, Error>).self) { group in
            var next = 0
            func launch() {
                guard next < request.passages.count else { return }
                let p = next
                next += 1
                group.addTask { [self] in
                    (p, await Result { try await self.judge(p, request, filled, emit) })
                }
            }
            for _ in 0..<lanes { launch() }
            while let (p, result) = await group.next() {
                if Task.isCancelled { group.cancelAll(); break }
                switch result {
                case .success(let v):
                    judged += 1
                    tokens += v.reasoningTokens
                    emit(.verdict(v))
                case .failure(let e):
                    failed += 1
                    emit(.failed(passage: p, reason: RemoteReranker.describe(e)))
                }
                launch()
            }
        }
        guard !Task.isCancelled, isCurrent(g) else { return }
        out.yield(.finished(JobStats(passages: request.passages.count, judged: judged, failed: failed, decodeTokens: tokens,
                                     promptTokens: 0, seconds: Date().timeIntervalSince(start), cancelled: false,
                                     firstTokenSeconds: firstToken.value)))
    }

    static func describe(_ e: Error) -> String {
        if let h = e as? HTTPError { return h.description }
        if let p = e as? CompletionJSON.ParseError { return p.description }
        if let u = e as? URLError {
            switch u.code {
            case .timedOut: return "the server stalled (no data for the idle timeout)"
            case .cannotConnectToHost, .cannotFindHost: return "cannot connect to the server (is it running?)"
            case .networkConnectionLost: return "the connection dropped mid-stream"
            default: return "network error: \(u.localizedDescription)"
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
        guard let tokens = await tokenizer.tokens(text) else { return RemoteReranker.fitted(p, maxTokens: maxTokens) }
        if tokens.count <= maxTokens { return (text, false) }
        guard var kept = await tokenizer.text(Array(tokens.prefix(maxTokens))) else { return RemoteReranker.fitted(p, maxTokens: maxTokens) }
        if let space = kept.lastIndex(where: { $0.isWhitespace }) { kept = String(kept[..<space]) }
        return (kept + " […]", true)
    }

    /// A passage cut to about `maxPassageTokens` (4 characters a token) at a word boundary, for servers
    /// that do not expose their tokenizer.
    static func fitted(_ p: Passage, maxTokens: Int) -> (String, Bool) {
        let text = Rank1Prompt.passageText(title: p.title, text: p.text)
        let limit = maxTokens * 4
        guard text.count > limit else { return (text, false) }
        var cut = String(text.prefix(limit))
        if let space = cut.lastIndex(where: { $0.isWhitespace }) { cut = String(cut[..<space]) }
        return (cut + " […]", true)
    }

    private func judge(_ p: Int, _ request: RerankRequest, _ filled: String, _ emit: @Sendable (RerankEvent) -> Void) async throws -> Verdict {
        let started = Date()
        let (passage, truncated) = await fit(request.passages[p], maxTokens: request.maxPassageTokens)
        let prompt = (request.profile ?? .rank1).prompt(filledQuery: filled, passage: passage)
        emit(.started(passage: p, truncated: truncated))
        var reasoning = ""
        var rounds = 0
        var totalTokens = 0
        while true {
            let (text, produced, natural, finish) = try await streamReasoning(prompt + reasoning, budget: request.budget) { piece in
                emit(.token(passage: p, text: piece))
            }
            reasoning += text
            totalTokens += produced
            let verdictPrompt = natural ? prompt + reasoning : prompt + Rank1Prompt.forcedCloseSuffix(reasoning: reasoning)
            let (score, pTrue) = try await verdict(verdictPrompt)
            if rounds < request.rethink {
                rounds += 1
                let before = reasoning.range(of: Rank1Prompt.thinkClose).map { String(reasoning[..<$0.lowerBound]) } ?? reasoning
                reasoning = before + "\nWait"
                emit(.token(passage: p, text: "\nWait"))
                continue
            }
            return Verdict(passage: p, score: score, probabilityTrue: pTrue, reasoning: reasoning, reasoningTokens: totalTokens,
                           forcedClose: !natural, rethinks: rounds, truncatedPassage: truncated, promptTokens: 0,
                           seconds: Date().timeIntervalSince(started), serverFinish: finish)
        }
    }

    /// Greedy and unpenalised: llama.cpp-based servers default repeat_penalty to 1.1, which would change
    /// both the chosen tokens and the reported logprobs.
    static var neutralSampling: [String: Any] { ["temperature": 0, "repeat_penalty": 1.0, "frequency_penalty": 0, "presence_penalty": 0] }

    private func makeRequest(_ body: [String: Any]) throws -> URLRequest {
        let body = body.merging(RemoteReranker.neutralSampling) { a, _ in a }
        var r = URLRequest(url: configuration.completionsURL)
        r.httpMethod = "POST"
        r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let key = configuration.apiKey { r.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        r.httpBody = try JSONSerialization.data(withJSONObject: body)
        return r
    }

    /// Retries a request after connection errors only (never after the server answered).
    private func withRetries<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do { return try await body() } catch let e as URLError where [.cannotConnectToHost, .cannotFindHost, .networkConnectionLost,
                                                                          .notConnectedToInternet].contains(e.code) && attempt < configuration.retries {
                attempt += 1
                try await Task.sleep(nanoseconds: UInt64(configuration.backoff * pow(2, Double(attempt - 1)) * 1e9))
            }
        }
    }

    /// Streams greedy reasoning after `prompt`; returns the text up to and including `</think>` when the
    /// model closed it (natural), else the whole text (budget or end of generation), and the server's
    /// finish_reason when it ended the stream itself.
    private func streamReasoning(_ prompt: String, budget: Int, onPiece: (String) -> Void) async throws -> (String, Int, Bool, String?) {
        // Greedy means no penalties: llama.cpp-based servers default repeat_penalty to 1.1.
        let body: [String: Any] = ["model": configuration.model, "prompt": prompt, "max_tokens": budget, "temperature": 0,
                                   "stream": true]
        return try await withRetries {
            var sse = SSEParser()
            var text = ""
            var pieces = 0
            var finished = false
            var reason: String?
            stream: for try await chunk in http.stream(try makeRequest(body)) {
                try Task.checkCancellation()
                sse.feed(chunk)
                for event in sse.take() {
                    guard let c = try CompletionJSON.chunk(event) else { finished = true; break stream }
                    if !c.text.isEmpty {
                        pieces += 1
                        let before = text
                        text += c.text
                        if let close = text.range(of: Rank1Prompt.thinkClose) {
                            text = String(text[..<close.upperBound])
                            let added = String(text.dropFirst(before.count))
                            if !added.isEmpty { onPiece(added) }
                            return (text, pieces, true, nil)  // leaving the loop cancels the stream
                        }
                        onPiece(c.text)
                    }
                    if let r = c.finishReason {
                        finished = true
                        reason = r
                    }
                }
            }
            try Task.checkCancellation()
            if !finished { throw CompletionJSON.ParseError.malformed("the stream ended before the server finished it (truncated)") }
            return (text, pieces, false, reason)
        }
    }

    /// The next-token distribution after `</think>`: from the top 20 logprobs when both " true" and " false"
    /// are there (a Rank1 model puts them first); otherwise the whole distribution is asked for (servers that
    /// cap logprobs, like vLLM's default of 20, answer that with an error that names the limit).
    private func verdict(_ prompt: String) async throws -> (Double, Double) {
        var top = try await verdictLogprobs(prompt, count: 20)
        if top[" true"] == nil || top[" false"] == nil { top = try await verdictLogprobs(prompt, count: 1 << 18) }
        let (score, pTrue, _) = try CompletionJSON.score(top)
        return (score, pTrue)
    }

    private func verdictLogprobs(_ prompt: String, count: Int) async throws -> [String: Double] {
        let body: [String: Any] = ["model": configuration.model, "prompt": prompt, "max_tokens": 1, "logprobs": count, "stream": false]
        return try await withRetries {
            try CompletionJSON.firstTokenTopLogprobs(try await http.data(try makeRequest(body)))
        }
    }
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// The first time something happened, recorded from any thread.
final class FirstMoment: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: Double?
    func mark(_ s: Double) {
        lock.lock()
        if seconds == nil { seconds = s }
        lock.unlock()
    }
    var value: Double? {
        lock.lock()
        defer { lock.unlock() }
        return seconds
    }
}
