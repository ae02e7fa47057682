import Foundation
import Rerank

/// The judge the service answers with, once its model is loaded (or a fleet endpoint serves).
public struct ReadyJudge: Sendable {
    public var queue: JudgeQueue
    /// The server's settings (budget, profile, instruction, …): each request's query, documents and instruction
    /// replace the template's.
    public var template: RerankRequest
    public var model: String
    public var backend: String
    public init(queue: JudgeQueue, template: RerankRequest, model: String, backend: String) {
        self.queue = queue
        self.template = template
        self.model = model
        self.backend = backend
    }

    /// The job for a rerank request.
    func request(query: String, passages: [Passage], instruction: String?) -> RerankRequest {
        var r = template
        r.query = query
        r.passages = passages
        if let instruction { r.instruction = instruction }
        return r
    }
}

/// Whether the service can judge yet: the model loads (or the fleet is probed) after the server listens, so
/// `/health` can say so and rerank requests get a 503 with Retry-After meanwhile.
public actor JudgeState {
    private enum Phase {
        case loading(String)
        case ready(ReadyJudge)
        case failed(String)
    }
    private var phase = Phase.loading("loading the model")

    public init() {}

    public func loading(_ what: String) { phase = .loading(what) }
    public func ready(_ judge: ReadyJudge) { phase = .ready(judge) }
    public func failed(_ reason: String) { phase = .failed(reason) }

    /// The ready judge, or a 503 saying why there is none.
    func judge() throws(APIError) -> ReadyJudge {
        switch phase {
        case .ready(let j): return j
        case .loading(let what): throw APIError(503, "not ready: \(what)", retryAfter: 5)
        case .failed(let reason): throw APIError(503, "cannot judge: \(reason)", retryAfter: 30)
        }
    }

    /// `/health`'s answer: 200 when ready, and its JSON body.
    func health() async -> (Int, Data) {
        switch phase {
        case .ready(let j):
            return (200, RerankAnswer.json(["status": "ok", "model": j.model, "backend": j.backend, "queue_depth": await j.queue.depth]))
        case .loading(let what): return (503, RerankAnswer.json(["status": "loading", "message": what]))
        case .failed(let reason): return (503, RerankAnswer.json(["status": "unavailable", "message": reason]))
        }
    }
}
