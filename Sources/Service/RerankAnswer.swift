import Foundation
import Rerank

/// The answers of the rerank APIs, built from a job's verdicts.
public enum RerankAnswer {
    /// One result: `index` (the document's place in the request), `relevance_score` (Rank1's P(true) / (P(true) +
    /// P(false))), `document` when asked for; with `return_reasoning`, the chain and how it ended.
    static func result(index: Int, verdict: Verdict, text: String?, reasoning: Bool) -> [String: Any] {
        var r: [String: Any] = ["index": index, "relevance_score": verdict.score]
        if let text { r["document"] = ["text": text] }
        if reasoning {
            r["reasoning"] = verdict.reasoning
            r["forced_close"] = verdict.forcedClose
            r["tokens"] = verdict.reasoningTokens
            r["cached"] = verdict.cached
            r["early_exit"] = verdict.earlyExit
            if let d = verdict.direct { r["direct_score"] = d.score }
        }
        return r
    }

    /// The judged indices by score, ties in the request's order.
    static func order(_ verdicts: [Int: Verdict]) -> [Int] {
        verdicts.keys.sorted { a, b in
            let (x, y) = (verdicts[a]!.score, verdicts[b]!.score)
            return x != y ? x > y : a < b
        }
    }

    /// The ranked results: `order`, the first `top_n`.
    static func ranked(_ call: RerankCall, verdicts: [Int: Verdict]) -> [[String: Any]] {
        let order = order(verdicts)
        return order.prefix(call.topN ?? order.count).map { i in
            result(index: i, verdict: verdicts[i]!, text: call.returnDocuments ? call.documents[i] : nil, reasoning: call.returnReasoning)
        }
    }

    /// The whole answer in the request's dialect.
    public static func body(_ call: RerankCall, verdicts: [Int: Verdict], id: String, model: String) -> [String: Any] {
        var out: [String: Any] = ["results": ranked(call, verdicts: verdicts)]
        switch call.dialect {
        case .cohereV1, .cohereV2:
            out["id"] = id
            out["meta"] = [
                "api_version": ["version": call.dialect == .cohereV1 ? "1" : "2"],
                "billed_units": ["search_units": 1],
            ]
        case .jina:
            out["model"] = call.model ?? model
            let tokens = verdicts.values.reduce(0) { $0 + $1.promptTokens + $1.reasoningTokens }
            out["usage"] = ["total_tokens": tokens]
        }
        return out
    }

    public static func json(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}
