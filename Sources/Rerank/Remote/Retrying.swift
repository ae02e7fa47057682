import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension RemoteConfiguration {
    /// Failures worth a retry: the connection dropped or was refused, the server was overloaded (429, 5xx), or it
    /// stalled.
    static func isTransient(_ e: Error) -> Bool {
        if let u = e as? URLError {
            return [.cannotConnectToHost, .networkConnectionLost, .notConnectedToInternet, .timedOut].contains(u.code)
        }
        switch e as? RemoteFailure {
        case .stalled?, .interrupted?, .truncated?: return true
        default: break
        }
        if let h = e as? HTTPError { return h.status == 429 || h.status >= 500 }
        return false
    }

    /// The server declined the request itself (HTTP 4xx other than 429, or an error object in its answer).
    static func isRefusal(_ e: Error) -> Bool {
        if let h = e as? HTTPError { return (400..<500).contains(h.status) && h.status != 429 }
        if case CompletionJSON.ParseError.server? = e as? CompletionJSON.ParseError { return true }
        return false
    }

    /// A failure of this endpoint that another endpoint of a fleet could answer: everything but the passage's own
    /// deadline and a cancelled job (a server going down answers with cuts, truncated or malformed streams, pages,
    /// refusals or 5xx; a stalled one runs out of its stall budget).
    static func anotherEndpointCouldAnswer(_ e: Error) -> Bool {
        if e is CancellationError { return false }
        if case RemoteFailure.deadline? = e as? RemoteFailure { return false }
        return true
    }

    /// A sign that the endpoint itself is in trouble (it is taken out of the fleet and asked again later): a transient
    /// failure other than a cut stream, an answer that is not what an OpenAI-compatible server sends, or a stall past
    /// the budget. A refusal is about the request and leaves the endpoint serving.
    static func isEndpointTrouble(_ e: Error) -> Bool {
        if isCut(e) || isRefusal(e) { return false }
        if isTransient(e) || e is CompletionJSON.ParseError { return true }
        switch e as? RemoteFailure {
        case .page?, .overlongLine?, .invalidUTF8?, .stalledTooLong?: return true
        default: return false
        }
    }

    /// The server cut a stream (transient, and no sign of trouble: llama-cpp-python does it on any new request).
    static func isCut(_ e: Error) -> Bool {
        if case RemoteFailure.interrupted? = e as? RemoteFailure { return true }
        return false
    }

    /// Exponential backoff (at most 8 s) with ±25% jitter, so retrying clients do not return in step.
    func backoff(_ attempt: Int) -> Double {
        min(backoff * pow(2, Double(attempt - 1)), 8) * Double.random(in: 0.75...1.25)
    }

    /// `body`, again after each transient failure (up to `retries` times, after the backoff); `onRetry` runs
    /// before each new attempt, with its number (a stream restarts its chain and says so).
    /// Runs on the caller's actor (`isolation`), so an actor's own methods can be retried.
    func retrying<T>(
        isolation: isolated (any Actor)? = #isolation, onRetry: (Error, Int) -> Void = { _, _ in },
        _ body: () async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            do { return try await body() } catch  where RemoteConfiguration.isTransient(error) && attempt < retries {
                attempt += 1
                onRetry(error, attempt)
                try await Task.sleep(nanoseconds: UInt64(backoff(attempt) * 1e9))
            }
        }
    }
}
