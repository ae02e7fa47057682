import CSupport
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where a request goes and its bytes, read off a `URLRequest` once.
struct HTTPTarget {
    var tls: Bool
    var host: String
    var port: Int
    /// The request as it goes on the wire: head and body.
    var bytes: ByteBuffer
    /// The pool's key: connections are shared by requests to the same scheme, host and port.
    var key: String { "\(tls ? "https" : "http")://\(host):\(port)" }

    init(_ r: URLRequest) throws {
        // URL's own host (punycode kept, an IPv6 literal without brackets), not URLComponents' (it decodes IDNA).
        guard let url = r.url, let scheme = url.scheme?.lowercased(), let host = url.host(percentEncoded: true), !host.isEmpty
        else { throw URLError(.badURL) }
        guard scheme == "http" || scheme == "https" else { throw URLError(.unsupportedURL) }
        tls = scheme == "https"
        self.host = host
        port = url.port ?? (tls ? 443 : 80)
        var uri = url.path(percentEncoded: true)
        if uri.isEmpty { uri = "/" }
        if let q = url.query(percentEncoded: true) { uri += "?" + q }
        let method = r.httpMethod ?? "GET"
        let body = r.httpBody ?? Data()
        let name = host.contains(":") ? "[\(host)]" : host
        let defaultPort = port == (tls ? 443 : 80)
        var head = "\(method) \(uri) HTTP/1.1\r\nHost: \(defaultPort ? name : "\(name):\(port)")\r\nUser-Agent: rank1\r\n"
        for (k, v) in r.allHTTPHeaderFields ?? [:] {
            let name = k.lowercased()
            guard !["host", "content-length", "connection", "transfer-encoding"].contains(name) else { continue }
            // A header value with a line break would end the head early: refused, as NIO's encoder does.
            guard !(k + v).contains(where: { $0 == "\r" || $0 == "\n" }) else { throw URLError(.badURL) }
            head += "\(k): \(v)\r\n"
        }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        bytes = ByteBuffer(string: head)
        bytes.writeBytes(body)
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

    /// Sends `target` on a kept-alive connection, or a new one (`fresh`: a new one); on the loop.
    func start(_ ex: HTTPExchange, _ target: HTTPTarget, fresh: Bool = false) {
        guard !ex.finished else { return }
        if !fresh, let c = takeIdle(target.key) {
            ex.target = target
            return c.send(ex, request: target.bytes)
        }
        connect(target).whenComplete { result in
            switch result {
            case .success(let c):
                if ex.finished { self.release(c) } else { c.send(ex, request: target.bytes) }
            case .failure(let e):
                ex.fail(HTTPStreamer.translate(e))
            }
        }
    }

    /// A connection between responses, kept for the next request to its host.
    func release(_ c: HTTPConnection) {
        guard c.usable else { return c.close() }
        var list = idle[c.key, default: []]
        if list.count >= HTTPPool.idlePerHost { list.removeAll { !$0.usable } }  // the closed ones make room first
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
                    try sync.addHandler(HTTPConnection(channel: channel, key: key, pool: self))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(host: t.host, port: t.port)
            .flatMapThrowing { channel in
                let c = try channel.pipeline.syncOperations.handler(type: HTTPConnection.self)
                if tls != nil { c.boundHandshake() }
                return c
            }
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
