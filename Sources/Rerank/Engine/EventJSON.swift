import Foundation

/// Rerank events as JSON Lines (`rank1 rerank --jsonl`): one object per event, `"event"` naming its kind, keys in
/// snake_case (the properties' names, converted). Encoded with Codable, so every string is escaped one way.
public enum EventJSON {
    /// One encoder for every line (a `--jsonl` run writes one per token); its settings never change.
    private static let encoder: JSONEncoder = {
        let e = JSONEncoder.sorted
        e.keyEncodingStrategy = .convertToSnakeCase
        // Non-finite numbers are not JSON: they are written as strings rather than failing the whole line.
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }()

    public static func line<T: Encodable>(_ value: T) -> String {
        String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The first line of a `--jsonl` run: which profile judges, and why.
    public static func profile(_ c: ProfileChoice, model: String, backend: String) -> String {
        line(ProfileLine(profile: c.profile.name, reason: c.reason, rank1Checkpoint: OrNull(c.rank1Shaped), model: model, backend: backend))
    }

    /// One event; `passages` gives the ids of the passages it numbers; a verdict's `attribution`, when the caller
    /// analysed its chain, is written with it.
    public static func encode(_ e: RerankEvent, passages: [Passage], attribution: Attribution? = nil) -> String {
        switch e {
        case .started(let p, let t): return line(Started(passage: p, id: passages[p].id, truncated: t))
        case .token(let p, let text): return line(Token(passage: p, text: text))
        case .restarted(let p, let reasoning, let reason): return line(Restarted(passage: p, reasoning: reasoning, reason: reason))
        case .probe(let p, let probe):
            return line(
                ProbeLine(
                    passage: p, id: passages[p].id, sentence: probe.sentence, tokens: probe.tokens, score: probe.score,
                    pTrue: probe.probabilityTrue))
        case .direct(let p, let d):
            return line(DirectLine(passage: p, id: passages[p].id, score: d.score, probabilityTrue: d.probabilityTrue))
        case .verdict(let v):
            return line(
                VerdictLine(
                    passage: v.passage, id: passages[v.passage].id, score: v.score, pTrue: v.probabilityTrue, tokens: v.reasoningTokens,
                    forcedClose: v.forcedClose, rethinks: v.rethinks, truncated: v.truncatedPassage, promptTokens: v.promptTokens,
                    seconds: v.seconds, cached: v.cached, serverFinish: v.serverFinish, endpoint: v.endpoint, reasoning: v.reasoning,
                    earlyExit: v.earlyExit ? true : nil, exitTokens: v.exitPoint?.tokens, exitScore: v.exitPoint?.score,
                    trajectory: v.trajectory.isEmpty ? nil : v.trajectory.map { [Double($0.tokens), $0.score] }, directScore: v.direct?.score,
                    fallback: v.fallback ? true : nil, attribution: attribution?.spans, grounded: attribution.map { OrNull($0.grounded) },
                    turn: TurningPoint.of(v).map(Turn.init)))
        case .failed(let p, let reason): return line(Failed(passage: p, id: passages[p].id, reason: reason))
        case .endpoint(let name, let up, let reason): return line(Endpoint(endpoint: name, up: up, reason: reason))
        case .finished(let s):
            return line(
                Finished(
                    judged: s.judged, failed: s.failed, decodeTokens: s.decodeTokens, promptTokens: s.promptTokens, seconds: s.seconds,
                    tokensPerSecond: s.decodeTokensPerSecond, firstTokenSeconds: OrNull(s.firstTokenSeconds), cancelled: s.cancelled,
                    thinkingSteps: s.thinkingSteps, draftedTokens: s.draftedTokens, acceptedDraftTokens: s.acceptedDraftTokens,
                    probes: s.probes, probeTokens: s.probeTokens, probeSeconds: s.probeSeconds, earlyExits: s.earlyExits,
                    directs: s.directs, directFailures: s.directFailures, allDirectSeconds: OrNull(s.allDirectSeconds),
                    directSeconds: s.directSeconds, directPromptTokens: s.directPromptTokens,
                    endpoints: s.endpoints.map { Served(endpoint: $0.endpoint, judged: $0.judged, takenOut: $0.takenOut, up: $0.up) }))
        }
    }

    // The lines' shapes. Values that a line of its kind may lack are written as null (`OrNull`), so those lines
    // keep their keys; a verdict's optional keys (remote-only or probe-only) are left out when absent.
    struct ProfileLine: Encodable {
        var event = "profile"
        let profile: String, reason: String, rank1Checkpoint: OrNull<Bool>, model: String, backend: String
    }
    struct Started: Encodable {
        var event = "started"
        let passage: Int, id: String, truncated: Bool
    }
    struct Token: Encodable {
        var event = "token"
        let passage: Int, text: String
    }
    struct Restarted: Encodable {
        var event = "restarted"
        let passage: Int, reasoning: String, reason: String
    }
    struct VerdictLine: Encodable {
        var event = "verdict"
        let passage: Int, id: String, score: Double, pTrue: Double, tokens: Int, forcedClose: Bool, rethinks: Int, truncated: Bool
        let promptTokens: Int, seconds: Double, cached: Bool, serverFinish: String?, endpoint: String?, reasoning: String
        /// With probes: `earlyExit` when early exit stopped the chain, where the rule fired, and the trajectory
        /// as [tokens, score] pairs (absent without probes).
        let earlyExit: Bool?, exitTokens: Int?, exitScore: Double?, trajectory: [[Double]]?
        /// The passage's direct verdict (no reasoning), when one was computed.
        let directScore: Double?
        /// The score is the fallback 0.5 (the server gave neither " true" nor " false"); absent otherwise.
        let fallback: Bool?
        /// What the chain drew on (`Attribution`), when it was analysed: its spans and the share of its sentences with
        /// support (null when none makes a claim).
        let attribution: [Attribution.Span]?, grounded: OrNull<Double>?
        /// With probes: where the verdict turned most (`TurningPoint`).
        let turn: Turn?
    }
    /// `{"sentence": n or null (after the last probe), "tokens": …, "from": …, "to": …}`.
    public struct Turn: Encodable {
        let sentence: OrNull<Int>, tokens: Int, from: Double, to: Double
        public init(_ t: TurningPoint) {
            sentence = OrNull(t.sentence)
            tokens = t.tokens
            from = t.from
            to = t.to
        }
    }
    struct DirectLine: Encodable {
        var event = "direct"
        let passage: Int, id: String, score: Double, probabilityTrue: Double
    }
    struct ProbeLine: Encodable {
        var event = "probe"
        let passage: Int, id: String, sentence: Int, tokens: Int, score: Double, pTrue: Double
    }
    struct Failed: Encodable {
        var event = "failed"
        let passage: Int, id: String, reason: String
    }
    struct Endpoint: Encodable {
        var event = "endpoint"
        let endpoint: String, up: Bool, reason: String
    }
    struct Served: Encodable {
        let endpoint: String, judged: Int, takenOut: Int, up: Bool
    }
    struct Finished: Encodable {
        var event = "finished"
        let judged: Int, failed: Int, decodeTokens: Int, promptTokens: Int, seconds: Double, tokensPerSecond: Double
        let firstTokenSeconds: OrNull<Double>  // null before any token
        let cancelled: Bool, thinkingSteps: Int, draftedTokens: Int, acceptedDraftTokens: Int
        let probes: Int, probeTokens: Int, probeSeconds: Double, earlyExits: Int
        let directs: Int, directFailures: Int, allDirectSeconds: OrNull<Double>, directSeconds: Double, directPromptTokens: Int
        let endpoints: [Served]
    }
    /// An optional written as null when absent (a synthesized encoder leaves the key out).
    struct OrNull<T: Encodable>: Encodable {
        let value: T?
        init(_ value: T?) { self.value = value }
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            if let value { try c.encode(value) } else { try c.encodeNil() }
        }
    }
}
