// The peer for `rank1 bench client`: an OpenAI-compatible server that streams synthetic tokens in the shape
// vLLM uses (HTTP/1.1 chunked SSE, one `data:` event per token with logprobs), fast enough that the client is
// what is measured. No model: each chain is `--tokens` tokens: words, then `</think>`; the verdict is ` true`.
//
//   rank1-synthetic-server [--tokens N] [--rate TOKENS_PER_SECOND]
//
// Prints the port it listens on (loopback), then serves until stdin closes. With --rate, tokens leave at that
// total rate, one event per stream per step, as a batched decoder emits them (0: as fast as the sockets take).
// One thread, poll(): its own cost stays small next to the client's.
#if canImport(Glibc)
    import Glibc
#endif

var tokensPerChain = 512
var rate = 30_000.0
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--tokens": tokensPerChain = Int(args.popFirst() ?? "") ?? tokensPerChain
    case "--rate": rate = Double(args.popFirst() ?? "") ?? rate
    default:
        print("usage: rank1-synthetic-server [--tokens N] [--rate TOKENS_PER_SECOND]")
        exit(2)
    }
}
signal(SIGPIPE, SIG_IGN)

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// One HTTP chunk holding one SSE event, as vLLM streams a completion token (`text` needs no JSON escaping).
func event(_ escaped: String, offset: Int, finish: String?) -> [UInt8] {
    let json =
        "{\"id\":\"cmpl-5f0c2a7e9b1d4c3a8e6f\",\"object\":\"text_completion\",\"created\":1764590400,\"model\":\"synthetic\","
        + "\"choices\":[{\"index\":0,\"text\":\"\(escaped)\",\"logprobs\":{\"text_offset\":[\(offset)],\"token_logprobs\":[-0.3125],"
        + "\"tokens\":[\"\(escaped)\"],\"top_logprobs\":[{\"\(escaped)\":-0.3125}]},"
        + "\"finish_reason\":\(finish.map { "\"\($0)\"" } ?? "null"),\"stop_reason\":null}],\"usage\":null}"
    return chunk(Array("data: \(json)\n\n".utf8))
}

func chunk(_ payload: [UInt8]) -> [UInt8] { Array(String(payload.count, radix: 16).utf8) + [13, 10] + payload + [13, 10] }

let words = [" The", " passage", " describes", " protein", " folding", " in", " cells", ",", " which", " matches", " the", " query", "."]
let wordEvents = words.enumerated().map { i, w in event(w, offset: 1000 + i * 7, finish: nil) }
let closeEvent = event("</think>", offset: 9000, finish: nil)
let verdictEvent = event(" true", offset: 9008, finish: "stop")
let streamEnd = chunk(Array("data: [DONE]\n\n".utf8)) + Array("0\r\n\r\n".utf8)
let streamHead = Array(
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ntransfer-encoding: chunked\r\n\r\n".utf8)

func answer(_ status: String, _ body: String) -> [UInt8] {
    Array("HTTP/1.1 \(status)\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
}

let models = answer(
    "200 OK", "{\"object\":\"list\",\"data\":[{\"id\":\"synthetic\",\"object\":\"model\",\"owned_by\":\"vllm\",\"max_model_len\":32768}]}")
let notFound = answer("404 Not Found", "{\"detail\":\"Not Found\"}")
let verdict = answer(
    "200 OK",
    "{\"id\":\"cmpl-v\",\"object\":\"text_completion\",\"created\":1764590400,\"model\":\"synthetic\",\"choices\":[{\"index\":0,"
        + "\"text\":\" true\",\"logprobs\":{\"text_offset\":[0],\"token_logprobs\":[-0.2],\"tokens\":[\" true\"],\"top_logprobs\":[{\" true\":-0.2,"
        + "\" false\":-1.7,\" yes\":-4.1}]},\"finish_reason\":\"length\",\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":90,\"total_tokens\":91,\"completion_tokens\":1}}"
)

final class Connection {
    let fd: Int32
    var input: [UInt8] = []
    var output: [UInt8] = []
    var sent = 0
    /// Tokens still to stream (nil: not a stream); the stream ends after them.
    var left: Int?
    /// The answer is complete once sent; the connection is kept for the next request (HTTP/1.1 keep-alive, as vLLM).
    var closing = false
    init(fd: Int32) { self.fd = fd }
}

let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
var one: Int32 = 1
setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
var address = sockaddr_in()
address.sin_family = sa_family_t(AF_INET)
address.sin_addr.s_addr = inet_addr("127.0.0.1")
address.sin_port = 0
_ = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
}
listen(listener, 4096)
var bound = sockaddr_in()
var length = socklen_t(MemoryLayout<sockaddr_in>.size)
_ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
_ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
print(UInt16(bigEndian: bound.sin_port))
fflush(nil)

var connections: [Int32: Connection] = [:]
var allowance = 0.0
var last = now()
var rotate = 0
var buffer = [UInt8](repeating: 0, count: 65536)

/// Reads the request when its head and body are in; sets up the answer.
@MainActor func handle(_ c: Connection) {
    guard let end = c.input.firstRange(of: [13, 10, 13, 10]) else { return }
    let head = String(decoding: c.input[..<end.lowerBound], as: UTF8.self)
    let lines = head.split(separator: "\r\n")
    let request = lines.first?.split(separator: " ") ?? []
    let path = request.count > 1 ? String(request[1]) : ""
    var contentLength = 0
    for l in lines.dropFirst() where l.lowercased().hasPrefix("content-length:") {
        contentLength = Int(l.dropFirst("content-length:".count).filter { $0 != " " }) ?? 0
    }
    guard c.input.count >= end.upperBound + contentLength else { return }
    let body = String(decoding: c.input[end.upperBound..<end.upperBound + contentLength], as: UTF8.self)
    c.input.removeAll()
    if path.hasSuffix("/v1/models") {
        c.output = models
    } else if path.hasSuffix("/v1/completions") {
        if body.contains("\"stream\":true") {
            c.output = streamHead
            c.left = tokensPerChain
        } else {
            c.output = verdict
        }
    } else {
        c.output = notFound
    }
    c.closing = c.left == nil
}

/// The next event of a stream (one token), or its end.
@MainActor func nextEvent(_ c: Connection) {
    guard let left = c.left else { return }
    if left > 1 {
        c.output += wordEvents[(tokensPerChain - left) % wordEvents.count]
    } else if left == 1 {
        c.output += closeEvent + verdictEvent + streamEnd
        c.closing = true
    }
    c.left = left - 1
}

@MainActor func close(_ c: Connection) {
    Glibc.close(c.fd)
    connections[c.fd] = nil
}

while true {
    var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
    for c in connections.values {
        fds.append(pollfd(fd: c.fd, events: Int16(POLLIN) | (c.sent < c.output.count ? Int16(POLLOUT) : 0), revents: 0))
    }
    _ = poll(&fds, nfds_t(fds.count), 1)
    if fds[0].revents != 0 { break }  // stdin closed: the bench is over
    if fds[1].revents != 0 {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 { break }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            connections[fd] = Connection(fd: fd)
        }
    }
    for p in fds.dropFirst(2) where p.revents != 0 {
        guard let c = connections[p.fd] else { continue }
        if p.revents & Int16(POLLIN) != 0 {
            let n = read(c.fd, &buffer, buffer.count)
            if n <= 0 {
                close(c)
                continue
            }
            c.input += buffer[0..<n]
            if c.output.isEmpty { handle(c) }
        } else if p.revents & Int16(POLLERR | POLLHUP) != 0 {
            close(c)
        }
    }
    // Tokens leave at the rate, one per stream per round, rotating which stream goes first.
    let t = now()
    allowance = rate > 0 ? min(allowance + (t - last) * rate, Double(max(connections.count, 1))) : Double.infinity
    last = t
    let streams = connections.values.filter { $0.left != nil && $0.sent == $0.output.count }
    if !streams.isEmpty {
        rotate = (rotate + 1) % streams.count
        for i in 0..<streams.count where allowance >= 1 {
            let c = streams[(rotate + i) % streams.count]
            c.output.removeAll(keepingCapacity: true)
            c.sent = 0
            nextEvent(c)
            allowance -= 1
        }
    }
    for c in Array(connections.values) where c.sent < c.output.count {
        let n = c.output[c.sent...].withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n > 0 {
            c.sent += n
        } else if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK {
            close(c)
            continue
        }
        if c.sent == c.output.count && c.closing {
            c.output.removeAll(keepingCapacity: true)
            c.sent = 0
            c.left = nil
            c.closing = false
            handle(c)  // a request already sent on this connection
        }
    }
}
