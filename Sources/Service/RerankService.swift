import CSupport
import Foundation
import Hummingbird
import Logging
import NIOCore
import Rerank

/// How the service is bounded and guarded (`rank1 serve --http` flags).
public struct ServiceSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Documents one request may ask to judge (413 past it), and the largest body read (413 past it).
    public var maxDocuments = 1000
    public var maxBodyBytes = 4 << 20
    /// Requests that may wait for the judge (429 past it).
    public var queueLimit = 16
    /// Seconds a request may take from arrival to answer (504 past it: its judgments are stopped).
    public var requestDeadline: Double = 600
    /// Bearer token every rerank and search request must carry (`--api-key-file`); nil: none.
    public var apiKey: String?
    public init() {}
}

/// The rerank service: Cohere's and Jina's rerank APIs, BM25 search, health, metrics and its OpenAPI document.
public struct RerankService: Sendable {
    public let settings: ServiceSettings
    public let state: JudgeState
    public let metrics: ServiceMetrics
    let search: SearchIndex?

    public init(settings: ServiceSettings, state: JudgeState, metrics: ServiceMetrics, indexPath: String?) throws {
        self.settings = settings
        self.state = state
        self.metrics = metrics
        search = try indexPath.map { try SearchIndex(path: $0) }
    }

    /// Serves until SIGINT or SIGTERM (requests in flight are answered first); `onRunning` once it listens.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var logger = Logger(label: "rank1.serve")
        logger.logLevel = .warning  // request lines would carry nothing a user needs; errors are answered, not logged
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "rank1"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.runService()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("v1/rerank") { request, _ in await self.rerank(request, .cohereV1, route: "/v1/rerank") }
        router.post("v2/rerank") { request, _ in await self.rerank(request, .cohereV2, route: "/v2/rerank") }
        router.post("rerank") { request, _ in await self.rerank(request, .jina, route: "/rerank") }
        router.post("v1/search") { request, _ in await self.searchRoute(request) }
        router.get("health") { _, _ in
            let (status, body) = await self.state.health()
            self.metrics.request(route: "/health", status: status, seconds: nil)
            return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: body)))
        }
        router.get("metrics") { _, _ in
            self.metrics.request(route: "/metrics", status: 200, seconds: nil)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: self.metrics.text())))
        }
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        return router
    }

    // MARK: rerank

    func rerank(_ request: Request, _ dialect: RerankDialect, route: String) async -> Response {
        let arrived = r1_monotonic_seconds()
        do {
            try authorize(request)
            try checkLength(request)
            // Without a stream, the client's going away cancels the judging (the inbound side closes).
            return try await request.body.consumeWithCancellationOnInboundClose { body in
                let call = try RerankAPI.parse(try await self.collect(body), dialect: dialect, maxDocuments: self.settings.maxDocuments)
                let judge = try await self.state.judge()
                let job = judge.request(query: call.query, passages: RerankService.passages(call.documents), instruction: call.instruction)
                if call.stream { return try await self.streamed(call, job, judge: judge, arrived: arrived, route: route) }
                let outcome = try await self.judged(job, queue: judge.queue, arrived: arrived)
                try RerankService.complete(outcome, count: call.documents.count)
                let body = RerankAnswer.body(call, verdicts: outcome.verdicts, id: UUID().uuidString.lowercased(), model: judge.model)
                return self.answer(route: route, 200, body, arrived: arrived)
            }
        } catch {
            return failure(error, route: route, arrived: arrived)
        }
    }

    static func passages(_ documents: [String]) -> [Passage] {
        documents.enumerated().map { Passage(id: String($0.offset), text: $0.element) }
    }

    /// A job whose documents did not all get a verdict is answered with the first failure (a 502: the judge failed).
    static func complete(_ outcome: JobOutcome, count: Int) throws(APIError) {
        if let (i, reason) = outcome.failures.min(by: { $0.key < $1.key }) {
            throw APIError(502, "document \(i) could not be judged: \(reason)")
        }
        guard outcome.verdicts.count == count else {
            throw APIError(502, "\(count - outcome.verdicts.count) of \(count) documents were not judged (the job stopped)")
        }
    }

    /// The job judged within what is left of the request's deadline (504 past it, its judgments stopped).
    func judged(_ job: RerankRequest, queue: JudgeQueue, arrived: Double, onEvent: @escaping @Sendable (RerankEvent) -> Void = { _ in })
        async throws -> JobOutcome
    {
        let progress = Progress()
        let left = settings.requestDeadline - (r1_monotonic_seconds() - arrived)
        let metrics = self.metrics
        return try await withThrowingTaskGroup(of: JobOutcome?.self) { group in
            group.addTask {
                try await queue.judge(job) { e in
                    metrics.event(e)
                    if case .verdict = e { progress.add() }
                    onEvent(e)
                }
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(max(0, left) * 1e9))
                return nil
            }
            defer { group.cancelAll() }
            if let first = try await group.next(), let outcome = first { return outcome }
            throw APIError(
                504,
                "the request's deadline of \(Int(settings.requestDeadline)) s passed (the server's --request-deadline) with \(progress.count) of \(job.passages.count) documents judged"
            )
        }
    }

    // MARK: shared

    func authorize(_ request: Request) throws(APIError) {
        guard let key = settings.apiKey else { return }
        let given = request.headers[.authorization] ?? ""
        let token = given.lowercased().hasPrefix("bearer ") ? String(given.dropFirst(7)).trimmingCharacters(in: .whitespaces) : ""
        guard APIKey.matches(token, key) else {
            throw APIError(401, given.isEmpty ? "an API key is required (Authorization: Bearer KEY)" : "the API key is not accepted")
        }
    }

    func checkLength(_ request: Request) throws(APIError) {
        if let n = request.headers[.contentLength].flatMap({ Int($0) }), n > settings.maxBodyBytes { throw tooLarge(n) }
    }

    private func tooLarge(_ n: Int?) -> APIError {
        APIError(413, "the body is \(n.map { "\($0) bytes" } ?? "larger"), at most \(settings.maxBodyBytes) bytes (the server's --max-body)")
    }

    /// The body, at most `maxBodyBytes` of it (413 past it, however it is sent).
    func collect(_ body: RequestBody) async throws -> Data {
        var out = Data()
        for try await chunk in body {
            out.append(contentsOf: chunk.readableBytesView)
            if out.count > settings.maxBodyBytes { throw tooLarge(nil) }
        }
        return out
    }

    func answer(route: String, _ status: Int, _ body: [String: Any], arrived: Double? = nil, headers: HTTPFields = [:]) -> Response {
        metrics.request(route: route, status: status, seconds: arrived.map { r1_monotonic_seconds() - $0 })
        var h = headers
        h[.contentType] = "application/json"
        return Response(status: .init(code: status), headers: h, body: .init(byteBuffer: ByteBuffer(data: RerankAnswer.json(body))))
    }

    func failure(_ error: Error, route: String, arrived: Double) -> Response {
        let e: APIError
        switch error {
        case let a as APIError: e = a
        case is CancellationError: e = APIError(499, "the client went away: its judgments were stopped")
        default: e = APIError(500, "\(error)")
        }
        metrics.failure(ServiceMetrics.kind(of: e))
        var headers: HTTPFields = [:]
        if let s = e.retryAfter { headers[.retryAfter] = String(s) }
        return answer(route: route, e.status, ["message": e.message], arrived: arrived, headers: headers)
    }
}

extension ServiceMetrics {
    static func kind(of e: APIError) -> Failure {
        switch e.status {
        case 401: return .unauthorized
        case 413: return .tooLarge
        case 429: return .queueFull
        case 499: return .cancelled
        case 503: return .notReady
        case 504: return .deadline
        case 400..<500: return .badRequest
        default: return .judgment
        }
    }
}

/// Verdicts so far, counted from the job's events (for the deadline's message).
final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    var count: Int { lock.withLock { n } }
}

enum APIKey {
    /// Compares in time that depends on the given token's length only, never on where it differs from the key.
    static func matches(_ given: String, _ key: String) -> Bool {
        let a = Array(given.utf8)
        let b = Array(key.utf8)
        guard !b.isEmpty else { return false }
        var diff = a.count ^ b.count
        for i in 0..<a.count { diff |= Int(a[i] ^ b[i % b.count]) }
        return diff == 0
    }
}
