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
    /// before each new attempt (a stream restarts its chain and says so).
    /// Runs on the caller's actor (`isolation`), so an actor's own methods can be retried.
    func retrying<T>(
        isolation: isolated (any Actor)? = #isolation, onRetry: (Error) -> Void = { _ in },
        _ body: () async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            do { return try await body() } catch  where RemoteConfiguration.isTransient(error) && attempt < retries {
                attempt += 1
                onRetry(error)
                try await Task.sleep(nanoseconds: UInt64(backoff(attempt) * 1e9))
            }
        }
    }
}
