import Foundation
import Hummingbird
import NIOCore
import Rerank

/// `"stream": true`: server-sent events as the job runs (`direct`, `token`, `restarted`, `verdict`, `failed`), then
/// `results` with the answer a plain request gets, or `error` with the status and message it would have got. A
/// comment every 2 s while nothing else is sent keeps proxies from closing the stream and shows when the client
/// has gone (the write fails, and the judging stops).
extension RerankService {
    func streamed(_ call: RerankCall, _ job: RerankRequest, judge: ReadyJudge, arrived: Double, route: String) async throws -> Response {
        // Refused before the 200 and the stream begin (a line that fills meanwhile is said as an `error` event).
        if let full = await judge.queue.refusal() { throw full }
        metrics.request(route: route, status: 200, seconds: nil)
        let body = ResponseBody { writer in
            let (events, sink) = AsyncStream<String>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        let outcome = try await self.judged(job, queue: judge.queue, arrived: arrived) { e in
                            if let s = RerankService.sse(e, call: call) { sink.yield(s) }
                        }
                        try RerankService.complete(outcome, count: call.documents.count)
                        let answer = RerankAnswer.body(call, verdicts: outcome.verdicts, id: UUID().uuidString.lowercased(), model: judge.model)
                        sink.yield(RerankService.event("results", answer))
                    } catch let e as APIError {
                        self.metrics.failure(ServiceMetrics.kind(of: e))
                        sink.yield(RerankService.event("error", ["status": e.status, "message": e.message]))
                    }
                    sink.finish()
                }
                group.addTask {
                    while true {
                        try await Task.sleep(nanoseconds: 2_000_000_000)
                        sink.yield(": waiting\n\n")
                    }
                }
                for await chunk in events { try await writer.write(ByteBuffer(string: chunk)) }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    static func event(_ name: String, _ object: Any) -> String {
        "event: \(name)\ndata: \(String(decoding: RerankAnswer.json(object), as: UTF8.self))\n\n"
    }

    /// A job event as the stream shows it (nil: not shown).
    static func sse(_ e: RerankEvent, call: RerankCall) -> String? {
        switch e {
        case .token(let p, let text): return event("token", ["index": p, "text": text])
        case .direct(let p, let d): return event("direct", ["index": p, "direct_score": d.score])
        case .restarted(let p, let reasoning, let reason): return event("restarted", ["index": p, "reasoning": reasoning, "reason": reason])
        case .verdict(let v):
            return event(
                "verdict",
                RerankAnswer.result(index: v.passage, verdict: v, text: call.returnDocuments ? call.documents[v.passage] : nil, reasoning: true))
        case .failed(let p, let reason): return event("failed", ["index": p, "message": reason])
        default: return nil
        }
    }
}
