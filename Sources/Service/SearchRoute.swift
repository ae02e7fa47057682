import CSupport
import Foundation
import Hummingbird
import Pipeline
import Rerank
import Retrieval

/// The server's BM25 index (`--index`): the reader and searcher are not thread-safe, so one actor owns them.
actor SearchIndex {
    private let reader: IndexReader
    private let searcher: Searcher

    init(path: String) throws {
        reader = try IndexReader(directory: path)
        searcher = try Searcher(index: reader)
    }

    func search(_ query: String, k: Int) throws -> [(hit: Hit, passage: Passage)] {
        let hits = try searcher.search(query, k: k)
        return try zip(hits, Candidates.passages(hits.map(\.doc), in: reader)).map { ($0, $1) }
    }
}

/// `POST /v1/search`: `{"query", "top_k" (10), "rerank" (0: BM25 only; N: its first N judged and ranked by Rank1),
/// "instruction", "return_documents" (true), "return_reasoning"}`.
struct SearchBody: Decodable {
    var query: String
    var topK: Int?
    var rerank: Int?
    var instruction: String?
    var returnDocuments: Bool?
    var returnReasoning: Bool?
    enum CodingKeys: String, CodingKey {
        case query, rerank, instruction
        case topK = "top_k"
        case returnDocuments = "return_documents"
        case returnReasoning = "return_reasoning"
    }
}

extension RerankService {
    func searchRoute(_ request: Request) async -> Response {
        let route = "/v1/search"
        let arrived = r1_monotonic_seconds()
        do {
            try authorize(request)
            try checkLength(request)
            return try await request.body.consumeWithCancellationOnInboundClose { body in
                let b: SearchBody = try RerankAPI.decode(try await self.collect(body))
                let k = b.topK ?? 10
                guard let search else { throw APIError(404, "this server has no index (start it with --index DIR)") }
                guard !b.query.trimmingCharacters(in: .whitespaces).isEmpty else { throw APIError(400, "query: empty") }
                guard (1...settings.maxDocuments).contains(k) else { throw APIError(400, "top_k: 1 to \(settings.maxDocuments), got \(k)") }
                let n = b.rerank ?? 0
                guard (0...k).contains(n) else { throw APIError(400, "rerank: 0 to top_k (\(k)), got \(n)") }
                if let i = b.instruction, let problem = Rank1Prompt.validate(instruction: i) { throw APIError(400, "instruction: \(problem)") }
                let found = try await search.search(b.query, k: k)
                var verdicts: [Int: Verdict] = [:]
                if n > 0 {
                    let judge = try await self.state.judge()
                    let job = judge.request(query: b.query, passages: found.prefix(n).map(\.passage), instruction: b.instruction)
                    let outcome = try await self.judged(job, queue: judge.queue, arrived: arrived)
                    try RerankService.complete(outcome, count: min(n, found.count))
                    verdicts = outcome.verdicts
                }
                let results = RerankService.searchResults(found, verdicts: verdicts, body: b)
                return self.answer(route: route, 200, ["results": results], arrived: arrived)
            }
        } catch {
            return failure(error, route: route, arrived: arrived)
        }
    }

    /// The judged hits by Rank1 score (ties in BM25 order), then the rest in BM25 order; `index` is the BM25 rank.
    static func searchResults(_ found: [(hit: Hit, passage: Passage)], verdicts: [Int: Verdict], body b: SearchBody) -> [[String: Any]] {
        let order = RerankAnswer.order(verdicts) + found.indices.filter { verdicts[$0] == nil }
        return order.map { i in
            let (hit, p) = found[i]
            var r: [String: Any] = ["index": i, "id": p.id, "bm25_score": Double(hit.score)]
            if let v = verdicts[i] {
                r.merge(RerankAnswer.result(index: i, verdict: v, text: nil, reasoning: b.returnReasoning ?? false)) { $1 }
            }
            if b.returnDocuments ?? true { r["document"] = ["id": p.id, "title": p.title, "text": p.text] }
            return r
        }
    }
}
