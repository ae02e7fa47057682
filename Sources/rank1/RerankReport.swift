import Foundation
import Pipeline
import Rerank

/// What `rank1 rerank` prints: a header, each event as it comes (a line per verdict, or with --jsonl every event as
/// JSON), then the reranked list. It keeps the verdicts and the first failure for the command's exit status.
final class RerankReport {
    let passages: [Passage]
    /// What the chains are attributed to (besides the passage): the query and the instruction template.
    let query: String, instruction: String?
    let jsonl: Bool
    /// With two judges: the judge's name, on each line it prints (`[a] …`, `"judge": "a"`).
    let label: String?
    let showReasoning: Bool
    /// One lane to a terminal: the reasoning streams inline.
    let streamInline: Bool
    private let out = Output.standard
    private(set) var verdicts: [Int: Verdict] = [:]
    private(set) var directs: [Int: DirectVerdict] = [:]
    private(set) var firstFailure: String?

    init(
        passages: [Passage], query: String, instruction: String?, jsonl: Bool, showReasoning: Bool, streamInline: Bool, label: String? = nil
    ) {
        self.label = label
        self.passages = passages
        self.query = query
        self.instruction = instruction
        self.jsonl = jsonl
        self.showReasoning = showReasoning
        self.streamInline = streamInline
    }

    func header(query: String, engine: any Reranker, chosen: ProfileChoice, request: RerankRequest, fusion: ScoreFusion?) {
        if jsonl {
            out.write(labelled(EventJSON.profile(chosen, model: engine.modelName, backend: engine.backendName)) + "\n")
            return
        }
        out.write("Rank1 reranking of the BM25 top \(passages.count) for \"\(query)\"\n")
        out.write(
            "model \(engine.modelName) (\(engine.backendName)), profile \(chosen.profile.name) (\(chosen.reason)), budget \(request.budget) tokens, "
                + "\(request.parallel) in parallel\n")
        let instructionText = request.instruction.map { "\"" + String($0.replacingOccurrences(of: "\n", with: " ").prefix(100)) + "\"" }
        out.write("instruction: \(instructionText ?? "none (the bare query)")\n")
        if chosen.rank1Shaped == false { out.write(notRank1Notice + "\n") }
        let early = request.earlyExit.map { String(format: ", early exit %g,%d", $0.threshold, $0.count) } ?? ""
        out.write(
            "thinking: minimum \(request.minReasoningTokens) tokens, repetition guard \(request.repetitionGuard ? "on" : "off"), "
                + "\(request.rethink) rethinks\(early); ranking: \(fusion?.label ?? "Rank1 score")\n\n")
        out.flush()
    }

    func event(_ event: RerankEvent) {
        if jsonl {
            out.write(labelled(EventJSON.encode(event, passages: passages, attribution: attribution(event))) + "\n")
            out.flush()
        }
        switch event {
        case .started(let p, let truncated):
            if streamInline { say("── [\(p + 1)] \(passages[p].id)\(truncated ? " (passage cut)" : "")\n") }
        case .token(_, let text):
            if streamInline { say(text) }
        case .probe: break  // in --jsonl only
        case .direct(let p, let d):
            directs[p] = d
            if !jsonl && !streamInline { say(String(format: "[direct %d/%d] %.3f  %@\n", directs.count, passages.count, d.score, passages[p].id)) }
        case .restarted(let p, _, let reason):
            if !jsonl { say((streamInline ? "\n" : "") + "[\(p + 1)] \(passages[p].id): retrying after \(reason)\n") }
        case .verdict(let v):
            verdicts[v.passage] = v
            if !jsonl { verdictLine(v) }
        case .failed(let p, let reason):
            if firstFailure == nil { firstFailure = "\(passages[p].id): \(reason)" }
            if !jsonl { say("[\(p + 1)] \(passages[p].id): failed: \(reason)\n") }
        case .endpoint(let name, let up, let reason):
            if !jsonl { say(RerankEvent.endpointChange(name, up: up, reason: reason) + "\n") }
        case .finished(let stats):
            if !jsonl { finished(stats) }
        }
    }

    /// A verdict's attribution (what its chain drew on); nil for other events.
    private func attribution(_ event: RerankEvent) -> Attribution? {
        guard case .verdict(let v) = event else { return nil }
        return Attributing.of(chain: v.reasoning, passage: passages[v.passage], query: query, instruction: instruction)
    }

    /// A JSON line with the judge's name first (every line is an object, so "{" opens it).
    func labelled(_ line: String) -> String {
        guard let label, line.hasPrefix("{") else { return line }
        return "{\"judge\":" + EventJSON.line(label) + (line == "{}" ? "}" : "," + line.dropFirst())
    }

    private var prefix: String { label.map { "[\($0)] " } ?? "" }

    private func say(_ text: String) {
        out.write(streamInline ? text : prefix + text)
        out.flush()
    }

    private func verdictLine(_ v: Verdict) {
        if streamInline { out.write("\n") }
        out.write(prefix)
        let mark = v.score >= 0.5 ? "✓" : "✗"
        // How much of the chain has support in the passage or the query (README: What the chain drew on).
        let grounded = attribution(.verdict(v))?.grounded.map { String(format: ", %.0f%% grounded", $0 * 100) } ?? ""
        out.write(
            String(
                format: "[%d/%d] %@ %.3f  %@  (%d tokens%@%@%@%@%@%@%@, %.1f s)\n", verdicts.count, passages.count, mark, v.score,
                passages[v.passage].id, v.reasoningTokens, v.earlyExit ? ", early exit" : v.forcedClose ? ", forced close" : "",
                v.stoppedRepeating ? ", loop stopped" : v.repetitive ? ", repeats" : "", v.rethinks > 0 ? ", \(v.rethinks) rethinks" : "",
                v.cached ? ", cached" : "", v.fallback ? ", the fallback 0.5: the server gave no true/false" : "",
                v.trajectory.isEmpty
                    ? ""
                    : ", probes " + v.trajectory.map { String(format: "%.2f", $0.score) }.joined(separator: " ")
                        + (TurningPoint.of(v).map { ", " + $0.said } ?? ""),
                grounded, v.seconds))
        if showReasoning && !streamInline {
            out.write(v.reasoning.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n")
        }
        out.flush()
    }

    private func finished(_ stats: JobStats) {
        out.write(
            String(
                format: "\n%d judged, %d failed in %.1f s; %d reasoning tokens, %.1f tokens/s\n", stats.judged, stats.failed,
                stats.seconds, stats.decodeTokens, stats.decodeTokensPerSecond))
        if stats.endpoints.count > 1 { out.write(EndpointSummary.text(stats.endpoints) + "\n") }
        if let all = stats.allDirectSeconds { out.write(String(format: "direct verdicts: all %d after %.1f s\n", stats.directs, all)) }
        if stats.directFailures > 0 {
            out.write("\(stats.directFailures) direct verdicts failed (first: \(stats.directFailure ?? "?")); their chains judged them\n")
        }
        out.write("\n")
    }

    /// Reranked: by Rank1 score (or the fused score), unjudged passages after the judged ones, BM25 order among equals.
    func ranking(bm25: [Double], fusion: ScoreFusion?) {
        let fused = fusion.map { f in f.fuse(bm25: bm25, rank1: passages.indices.map { verdicts[$0]?.score }) }
        let order = RerankedOrder.of(passages.count) { p in verdicts[p].map { fused?[p] ?? $0.score } }
        if jsonl {
            struct Ranking: Encodable {
                var event = "ranking"
                let ids: [String], fusion: String?, fusedScores: [Double]?
            }
            let line = Ranking(ids: order.map { passages[$0].id }, fusion: fusion?.label, fusedScores: fused.map { f in order.map { f[$0] } })
            out.write(EventJSON.line(line) + "\n")
        } else {
            if let fusion { out.write("ranked by \(fusion.label) (BM25 min-max normalised over these \(passages.count))\n") }
            out.write("rank  bm25  move  rank1\(fused != nil ? "  fused" : "")  direct   id  title\n")
            for (r, p) in order.enumerated() {
                let move = p - r
                let mv = move > 0 ? "↑\(move)" : move < 0 ? "↓\(-move)" : "·"
                let score = verdicts[p].map { String(format: "%.3f", $0.score) } ?? "  -  "
                let f = fused.map { fs in verdicts[p] == nil ? "    -  " : String(format: "  %.3f", fs[p]) } ?? ""
                let d = directs[p].map { String(format: "%.3f", $0.score) } ?? "  -  "
                out.write(
                    String(
                        format: "%4d  %4d  %4@  %@%@  %@   %@  %@\n", r + 1, p + 1, mv, score, f, d, passages[p].id,
                        String(passages[p].title.prefix(60))))
            }
        }
        out.flush()
    }
}

extension TurningPoint {
    /// "turned most after sentence 3 (0.42 → 0.71, across 0.5)", or "… in the last part (…)".
    var said: String {
        let place = sentence.map { "after sentence \($0)" } ?? "after the last probe"
        return String(format: "turned most %@ (%.2f → %.2f%@)", place, from, to, crossed ? ", across 0.5" : "")
    }
}
