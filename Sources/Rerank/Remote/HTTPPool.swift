import CSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where a request goes and what it says, read off a `URLRequest` once.
struct HTTPTarget {
    var tls: Bool
    var host: String
    var port: Int
    var head: HTTPRequestHead
    var body: ByteBuffer?
    /// The pool's key: connections are shared by requests to the same scheme, host and port.
    var key: String { "\(tls ? "https" : "http")://\(host):\(port)" }

    init(_ r: URLRequest) throws {
        guard let url = r.url, let parts = URLComponents(url: url, resolvingAgainstBaseURL: false),
            let scheme = parts.scheme?.lowercased(), let host = parts.host, !host.isEmpty
        else { throw URLError(.badURL) }
        guard scheme == "http" || scheme == "https" else { throw URLError(.unsupportedURL) }
        tls = scheme == "https"
        // URLComponents keeps an IPv6 literal's brackets; sockets and certificates want the address alone.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = parts.port ?? (tls ? 443 : 80)
        var uri = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
        if let q = parts.percentEncodedQuery { uri += "?" + q }
        var headers = HTTPHeaders()
        let defaultPort = port == (tls ? 443 : 80)
        headers.add(name: "Host", value: defaultPort ? host : "\(host):\(port)")
        headers.add(name: "User-Agent", value: "rank1")
        for (k, v) in r.allHTTPHeaderFields ?? [:] where k.lowercased() != "host" { headers.add(name: k, value: v) }
        let method = HTTPMethod(rawValue: r.httpMethod ?? "GET")
        if let data = r.httpBody {
            headers.replaceOrAdd(name: "Content-Length", value: String(data.count))
            body = ByteBuffer(bytes: data)
        } else if method == .POST || method == .PUT {
            headers.replaceOrAdd(name: "Content-Length", value: "0")
        }
        head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
    }
}

/// Kept-alive connections by scheme, host and port, for one CA file (https trusts the system's roots plus that CA).
/// Its state lives on its event loop: requests start there, connections come back there.
final class HTTPPool: @unchecked Sendable {
    let loop: any EventLoop
    private let caFile: String?
    private var idle: [String: [HTTPConnection]] = [:]
    private var tlsContext: NIOSSLContext?
    /// An idle connection older than this is closed instead of reused (servers drop theirs after a while).
    static let idleLimit = 60.0
    /// At most this many idle connections kept per host (as many as a fleet's streams).
    static let idlePerHost = RemoteConfiguration.maxConcurrency

    init(loop: any EventLoop, caFile: String?) {
        self.loop = loop
        self.caFile = caFile
    }

    /// Sends `target` on a kept-alive connection, or a new one; on the loop.
    func start(_ ex: HTTPExchange, _ target: HTTPTarget) {
        guard !ex.finished else { return }
        if let c = takeIdle(target.key) { return c.send(ex, head: target.head, body: target.body) }
        connect(target).whenComplete { result in
            switch result {
            case .success(let c):
                if ex.finished { self.release(c) } else { c.send(ex, head: target.head, body: target.body) }
            case .failure(let e):
                ex.fail(HTTPStreamer.translate(e))
            }
        }
    }

    /// A connection between responses, kept for the next request to its host.
    func release(_ c: HTTPConnection) {
        guard c.usable else { return c.close() }
        var list = idle[c.key, default: []]
        guard list.count < HTTPPool.idlePerHost else { return c.close() }
        c.idleSince = r1_monotonic_seconds()
        list.append(c)
        idle[c.key] = list
    }

    private func takeIdle(_ key: String) -> HTTPConnection? {
        guard var list = idle[key] else { return nil }
        defer { idle[key] = list }
        let now = r1_monotonic_seconds()
        // The most recently used first: the one least likely to have been dropped by the server.
        while let c = list.popLast() {
            if c.usable && now - c.idleSince < HTTPPool.idleLimit { return c }
            c.close()
        }
        return nil
    }

    private func connect(_ t: HTTPTarget) -> EventLoopFuture<HTTPConnection> {
        let tls: NIOSSLContext?
        do { tls = t.tls ? try context() : nil } catch { return loop.makeFailedFuture(error) }
        let key = t.key
        // An address goes without SNI; NIOSSL then checks the certificate against the address itself.
        let sni = (try? SocketAddress(ipAddress: t.host, port: 0)) == nil ? t.host : nil
        return ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                do {
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: sni)) }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(HTTPConnection(channel: channel, key: key, pool: self))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(host: t.host, port: t.port)
            .flatMapThrowing { channel in try channel.pipeline.syncOperations.handler(type: HTTPConnection.self) }
    }

    /// The TLS context, made once: loading the system's roots and the CA file is not free.
    private func context() throws -> NIOSSLContext {
        if let tlsContext { return tlsContext }
        var config = TLSConfiguration.makeClientConfiguration()
        if let caFile { config.additionalTrustRoots = [.file(caFile)] }
        let c = try NIOSSLContext(configuration: config)
        tlsContext = c
        return c
    }
}
