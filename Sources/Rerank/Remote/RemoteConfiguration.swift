import Foundation
import NIOSSL

/// Where a remote Rank1 server is and how to talk to it. The API key comes from the environment
/// (RANK1_API_KEY, else OPENAI_API_KEY) or the user config ($XDG_CONFIG_HOME or ~/.config, rank1/config.json) {"api_key": …}; it is sent as a
/// bearer token and never logged or shown.
public struct RemoteConfiguration: Sendable {
    public var baseURL: URL
    public var model: String
    public var apiKey: String?
    /// No token (no complete event; a trickle of bytes does not count) for this long: the stream fails as
    /// stalled, and is retried.
    public var idleTimeout: TimeInterval = 60
    /// A passage's whole judgment (every round, retry and the verdict) must end within this many seconds.
    public var passageDeadline: TimeInterval = 1800
    /// Seconds a passage may spend stalled in all, over every retry (a stall is `idleTimeout` without a token): past
    /// it the passage fails on this endpoint (in a fleet it goes to another) instead of waiting out every retry.
    public var stallBudget: TimeInterval = 120
    /// Retries after transient failures (refused, reset, 429, 5xx, stalled), with exponential backoff and jitter.
    public var retries = 6
    public var backoff: TimeInterval = 0.5
    /// The most requests in flight at once (the server batches them); a job keeps `--parallel` of them open, so a
    /// serving engine behind one URL (vLLM with data or tensor parallelism, a router) is kept busy.
    public var concurrency = RemoteConfiguration.maxConcurrency
    public static let maxConcurrency = 1024
    /// A PEM file of CA certificates trusted for https besides the system's (a server behind a private CA).
    public var caFile: String?
    /// Seconds to wait for the server's probe answers (models, tokenizer) before giving up on them.
    public var connectTimeout: TimeInterval = 10

    public init(baseURL: URL, model: String, apiKey: String? = RemoteConfiguration.apiKeyFromEnvironment()) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.caFile = RemoteConfiguration.caFileFromEnvironment()
    }

    /// Throws, naming the file, unless it holds at least one PEM certificate.
    public static func checkCAFile(_ path: String) throws {
        guard FileManager.default.isReadableFile(atPath: path) else { throw RerankError("--ca-file \(path): cannot be read") }
        let certificates = (try? NIOSSLCertificate.fromPEMFile(path)) ?? []
        if certificates.isEmpty { throw RerankError("--ca-file \(path): no PEM certificate in it (-----BEGIN CERTIFICATE-----)") }
    }

    /// $RANK1_CA_FILE, else $SSL_CERT_FILE (OpenSSL's and Python's variable, which operators already set).
    public static func caFileFromEnvironment() -> String? {
        let env = ProcessInfo.processInfo.environment
        return [env["RANK1_CA_FILE"], env["SSL_CERT_FILE"]].compactMap { $0 }.first { !$0.isEmpty }
    }

    public static func apiKeyFromEnvironment() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let k = env["RANK1_API_KEY"] ?? env["OPENAI_API_KEY"], !k.isEmpty { return k }
        let path = RuntimeDiscovery.configPath()
        if let data = FileManager.default.contents(atPath: path),
            let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let k = obj["api_key"] as? String
        {
            return k
        }
        return nil
    }

    /// Text with the API key and any bearer token replaced: servers echo headers in error bodies, and nothing a
    /// user sees, logs or saves may carry the key.
    public func redact(_ text: String) -> String {
        var out = text
        if let k = apiKey, !k.isEmpty { out = out.replacingOccurrences(of: k, with: "[redacted]") }
        while let r = out.range(of: #"(?i)bearer\s+(?!\[redacted\])[^\s"',;}]+"#, options: .regularExpression) {
            out.replaceSubrange(r, with: "Bearer [redacted]")
        }
        return out
    }

    /// `http://host:port` or `http://host:port/v1` → the completions endpoint.
    var completionsURL: URL { rootURL.appendingPathComponent("v1/completions") }

    /// The server's root (`/v1` removed): where /tokenize, /props and /health live.
    var rootURL: URL {
        var s = baseURL.absoluteString
        while s.hasSuffix("/") { s.removeLast() }
        if s.hasSuffix("/v1") { s.removeLast(3) }
        return URL(string: s)!
    }
}
