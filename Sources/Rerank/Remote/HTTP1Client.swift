import CSupport
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Plain-HTTP/1.1 requests over non-blocking sockets, all driven by ONE thread blocked in epoll_wait(): a client
/// waiting on a silent server sleeps in the kernel (FoundationNetworking's libcurl loop spun a core there),
/// timeouts hold to 50 ms, and thousands of open streams cost one thread. One connection per request
/// (`Connection: close`); bodies by Content-Length, chunked, or until close. https goes through URLSession.
final class HTTP1Loop: @unchecked Sendable {
    static let shared = HTTP1Loop()

    private final class Connection {
        let id: Int
        let fd: Int32
        let continuation: AsyncThrowingStream<Data, Error>.Continuation
        var out: [UInt8]
        var written = 0
        var connected = false
        var parser = HTTP1Response()
        var lastActivity = monotonicNow()
        let idleTimeout: Double
        let connectTimeout: Double
        init(
            id: Int, fd: Int32, out: [UInt8], idleTimeout: Double, connectTimeout: Double,
            continuation: AsyncThrowingStream<Data, Error>.Continuation
        ) {
            self.id = id
            self.fd = fd
            self.out = out
            self.idleTimeout = idleTimeout
            self.connectTimeout = connectTimeout
            self.continuation = continuation
        }
    }

    private let lock = NSLock()
    // By request id, never by descriptor: a finished request's descriptor number is soon reused by the next
    // request, and its late cancellation must not close that one.
    private var connections: [Int: Connection] = [:]
    private var cancelled: Set<Int> = []
    /// Requests not yet watched by the loop.
    private var fresh: [Connection] = []
    private var nextID = 0
    private var wake: [Int32] = [0, 0]

    private init() {
        _ = pipe(&wake)
        _ = fcntl(wake[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(wake[1], F_SETFL, O_NONBLOCK)
        let t = Thread { [unowned self] in self.run() }
        t.name = "rank1-http"
        t.start()
    }

    /// Sends `request` and streams the response body (2xx), or fails with `HTTPError` carrying the server's message.
    /// `interrupt`, when fired, ends the stream at once with its error and closes the connection.
    func stream(
        _ request: URLRequest, idleTimeout: Double, connectTimeout: Double = 10,
        interrupt: Interrupt? = nil
    ) -> AsyncThrowingStream<Data, Error> {
        AsyncThrowingStream { continuation in
            let fd: Int32
            let bytes: [UInt8]
            do {
                bytes = try HTTP1Loop.encode(request)
                fd = try HTTP1Loop.connect(request.url!)
            } catch {
                continuation.finish(throwing: error)
                return
            }
            // A request's own timeout (probes ask for short ones) wins over the session's idle timeout.
            let idle = min(idleTimeout, request.timeoutInterval > 0 ? request.timeoutInterval : idleTimeout)
            let id: Int = lock.withLock {
                nextID += 1
                return nextID
            }
            let c = Connection(id: id, fd: fd, out: bytes, idleTimeout: idle, connectTimeout: connectTimeout, continuation: continuation)
            lock.withLock {
                connections[id] = c
                fresh.append(c)
            }
            continuation.onTermination = { [weak self] _ in self?.cancel(id) }
            interrupt?.onFire { [weak self] error in
                continuation.finish(throwing: error)
                self?.cancel(id)
            }
            poke()
        }
    }

    private func cancel(_ id: Int) {
        lock.withLock { if connections[id] != nil { cancelled.insert(id) } }
        poke()
    }

    private func poke() {
        var b: UInt8 = 1
        _ = write(wake[1], &b, 1)
    }

    static func encode(_ r: URLRequest) throws -> [UInt8] {
        guard let url = r.url, let host = url.host else { throw URLError(.badURL) }
        var path = url.path.isEmpty ? "/" : url.path
        if let q = url.query { path += "?" + q }
        let body = r.httpBody ?? Data()
        var head = "\(r.httpMethod ?? "GET") \(path) HTTP/1.1\r\nHost: \(host)\(url.port.map { ":\($0)" } ?? "")\r\n"
        for (k, v) in r.allHTTPHeaderFields ?? [:] where k.lowercased() != "content-length" && k.lowercased() != "connection" {
            head += "\(k): \(v)\r\n"
        }
        if !body.isEmpty || r.httpMethod == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "Accept: */*\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + body
    }

    /// A non-blocking socket whose connect is under way.
    static func connect(_ url: URL) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let port = String(url.port ?? 80)
        guard getaddrinfo(url.host ?? "", port, &hints, &list) == 0, let first = list else { throw URLError(.cannotFindHost) }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw URLError(.cannotConnectToHost) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
            close(fd)
            throw URLError(.cannotConnectToHost)
        }
        return fd
    }

    /// The loop: epoll tells which of the open streams has bytes (poll() scanned all 1,024 on every wake-up);
    /// every 50 ms the connections are swept for idle and connect timeouts.
    private func run() {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let ep = r1_epoll_create()
        _ = r1_epoll_watch(ep, wake[0], -1, 1, 0)
        var owned: [Int: Connection] = [:]
        var events = [Int64](repeating: 0, count: 256)
        var lastSweep = monotonicNow()
        while true {
            let (added, gone): ([Connection], [Connection]) = lock.withLock {
                let gone = cancelled.compactMap { connections.removeValue(forKey: $0) }
                cancelled.removeAll()
                let added = fresh.filter { connections[$0.id] != nil }
                fresh.removeAll()
                return (added, gone)
            }
            for c in gone {  // the consumer has gone: nothing more to tell it
                owned[c.id] = nil
                close(c.fd)
            }
            for c in added {
                owned[c.id] = c
                _ = r1_epoll_watch(ep, c.fd, Int64(c.id), 1, 1)
            }
            let n = r1_epoll_wait(ep, &events, Int32(events.count), owned.isEmpty ? -1 : 50)
            if n < 0 && errno != EINTR { continue }
            let now = monotonicNow()  // one reading for this wake-up's events and the sweep
            for e in events.prefix(max(0, Int(n))) {
                let id = Int(e)
                if id == -1 {
                    while read(wake[0], &buffer, buffer.count) > 0 {}
                    continue
                }
                guard let c = owned[id] else { continue }
                c.lastActivity = now
                if !c.connected {
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len)
                    if err != 0 {
                        finish(c, URLError(.cannotConnectToHost), &owned)
                        continue
                    }
                    c.connected = true
                }
                if c.written < c.out.count {
                    let n = c.out.withUnsafeBytes { send(c.fd, $0.baseAddress! + c.written, c.out.count - c.written, Int32(MSG_NOSIGNAL)) }
                    if n < 0 && errno != EAGAIN {
                        finish(c, URLError(.networkConnectionLost), &owned)
                        continue
                    }
                    if n > 0 { c.written += n }
                    if c.written == c.out.count { _ = r1_epoll_watch(ep, c.fd, Int64(c.id), 0, 0) }
                    continue
                }
                let got = recv(c.fd, &buffer, buffer.count, 0)
                if got < 0 {
                    if errno != EAGAIN && errno != EINTR { finish(c, URLError(.networkConnectionLost), &owned) }
                    continue
                }
                do {
                    let done = got == 0 ? try c.parser.end() : try c.parser.feed(buffer[0..<got]) { c.continuation.yield(Data($0)) }
                    if done { finish(c, c.parser.failure, &owned) }
                } catch {
                    finish(c, error, &owned)
                }
            }
            if now - lastSweep >= 0.05 {
                lastSweep = now
                for c in Array(owned.values) {
                    let limit = c.connected ? c.idleTimeout : min(c.connectTimeout, c.idleTimeout)
                    if now - c.lastActivity > limit { finish(c, URLError(c.connected ? .timedOut : .cannotConnectToHost), &owned) }
                }
            }
        }
    }

    private func finish(_ c: Connection, _ error: Error?, _ owned: inout [Int: Connection]) {
        owned[c.id] = nil
        finish(c, error)
    }

    private func finish(_ c: Connection, _ error: Error?) {
        lock.withLock { _ = connections.removeValue(forKey: c.id) }
        close(c.fd)
        if let error { c.continuation.finish(throwing: error) } else { c.continuation.finish() }
    }
}

/// An HTTP/1.1 response, parsed incrementally: status and headers, then the body by Content-Length, chunked
/// encoding or until the connection closes. A non-2xx body is kept (its message is the error) instead of streamed.
struct HTTP1Response {
    private enum Body {
        case length(Int)
        case chunked, untilClose
    }
    private enum Chunk {
        case size
        case data(Int)
        case dataEnd, trailer
    }
    private var head: [UInt8] = []
    private var body: Body?
    private var chunk = Chunk.size
    private var line: [UInt8] = []
    private(set) var status = 0
    private var errorBody: [UInt8] = []
    /// Body bytes of this feed, handed over once per feed (one event per read, not per chunk).
    private var received: [UInt8] = []
    static let maxHead = 64 << 10, maxErrorBody = 64 << 10

    var isSuccess: Bool { (200..<300).contains(status) }
    /// The error a finished non-2xx response stands for.
    var failure: Error? {
        isSuccess ? nil : HTTPError(status: status, message: HTTPStreamer.message(from: Data(errorBody)))
    }

    /// Feeds received bytes; `deliver` gets body bytes of a 2xx answer. Returns true when the response is complete.
    mutating func feed(_ bytes: ArraySlice<UInt8>, deliver: ([UInt8]) -> Void) throws -> Bool {
        var rest = bytes
        if body == nil {
            // Only the new bytes (and the 3 before them) can complete "\r\n\r\n": a head that arrives in small
            // pieces is scanned once, not once per piece.
            let from = max(0, head.count - 3)
            head += rest
            guard let end = HTTP1Response.headEnd(head, from: from) else {
                if head.count > HTTP1Response.maxHead { throw URLError(.badServerResponse) }
                return false
            }
            try parseHead(Array(head[..<end]))
            rest = head[(end + 4)...]
            head = []
        }
        let done = try consume(rest)
        if !received.isEmpty {
            deliver(received)
            received = []
        }
        return done
    }

    /// The connection closed: complete if the body runs until close, else the answer was cut short.
    mutating func end() throws -> Bool {
        if case .untilClose? = body { return true }
        throw URLError(.networkConnectionLost)
    }

    private static func headEnd(_ b: [UInt8], from: Int) -> Int? {
        guard from <= b.count else { return nil }
        return b[from...].firstRange(of: [13, 10, 13, 10])?.lowerBound
    }

    private mutating func parseHead(_ bytes: [UInt8]) throws {
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else { throw URLError(.badServerResponse) }
        status = code
        var length: Int?
        var chunked = false
        for l in lines.dropFirst() {
            guard let colon = l.firstIndex(of: ":") else { continue }
            let name = l[..<colon].lowercased()
            let value = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int(value) }
            if name == "transfer-encoding" && value.lowercased().contains("chunked") { chunked = true }
        }
        body = chunked ? .chunked : length.map { .length($0) } ?? .untilClose
    }

    private mutating func emit(_ b: ArraySlice<UInt8>) {
        guard !b.isEmpty else { return }
        if isSuccess {
            received += b
        } else if errorBody.count < HTTP1Response.maxErrorBody {
            errorBody += b.prefix(HTTP1Response.maxErrorBody - errorBody.count)
        }
    }

    private mutating func consume(_ bytes: ArraySlice<UInt8>) throws -> Bool {
        switch body! {
        case .untilClose:
            emit(bytes)
            return false
        case .length(let left):
            let take = min(left, bytes.count)
            emit(bytes.prefix(take))
            body = .length(left - take)
            return left - take == 0
        case .chunked:
            var i = bytes.startIndex
            while i < bytes.endIndex {
                switch chunk {
                case .size, .trailer, .dataEnd:
                    let b = bytes[i]
                    i += 1
                    if b != 10 {
                        if b != 13 { line.append(b) }
                        if line.count > 4096 { throw URLError(.badServerResponse) }
                        continue
                    }
                    defer { line.removeAll(keepingCapacity: true) }
                    switch chunk {
                    case .size:
                        guard let n = HTTP1Response.chunkSize(line) else { throw URLError(.badServerResponse) }
                        chunk = n == 0 ? .trailer : .data(n)
                    case .dataEnd: chunk = .size
                    case .trailer: if line.isEmpty { return true }
                    case .data: break
                    }
                case .data(let left):
                    let take = min(left, bytes.endIndex - i)
                    emit(bytes[i..<(i + take)])
                    i += take
                    chunk = left - take == 0 ? .dataEnd : .data(left - take)
                }
            }
            return false
        }
    }
}

extension HTTP1Response {
    /// A chunk-size line: hex digits, optional spaces, optional `;extensions`.
    static func chunkSize(_ line: [UInt8]) -> Int? {
        var n = 0
        var digits = 0
        for b in line {
            let d: Int
            switch b {
            case 48...57: d = Int(b) - 48
            case 65...70: d = Int(b) - 55
            case 97...102: d = Int(b) - 87
            case 32, 9: if digits == 0 { continue } else { return n }
            case UInt8(ascii: ";"): return digits > 0 ? n : nil
            default: return nil
            }
            guard digits < 15 else { return nil }
            n = n << 4 | d
            digits += 1
        }
        return digits > 0 ? n : nil
    }
}

/// Seconds on the monotonic clock: CSupport's, the one clock.
func monotonicNow() -> Double { r1_monotonic_seconds() }
