import Foundation
import Testing

@testable import Rerank

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The remote backend against a misbehaving loopback server: each failure marks only its passage, with
/// the reason; the others go on; nothing hangs.
/// Each test runs over http and over https (a private CA made at test time, trusted through `caFile` alone).
@Suite(.serialized) struct RemoteFaultTests {
    enum Transport: String, CaseIterable, Sendable { case http, https }

    /// The test CA's folder (ca.pem, server.pem, server.key), made once per run.
    static let tlsDirectory: String = {
        let dir = NSTemporaryDirectory() + "rank1-test-ca-\(getpid())"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        let support = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("support")
        p.arguments = [support.appendingPathComponent("make_test_ca.sh").path, dir]
        try! p.run()
        p.waitUntilExit()
        precondition(p.terminationStatus == 0, "make_test_ca.sh failed")
        return dir
    }()

    static func startServer(_ arguments: [String] = [], transport: Transport = .http) throws -> (Process, Int) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let tls = transport == .https ? ["--tls", tlsDirectory + "/server.pem", tlsDirectory + "/server.key"] : []
        p.arguments =
            ["python3", URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fault_server.py").path] + arguments + tls
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var line = Data()
        while let b = try out.fileHandleForReading.read(upToCount: 1), !b.isEmpty, b != Data([10]) { line.append(b) }
        return (p, Int(String(decoding: line, as: UTF8.self))!)
    }

    /// Fault servers started with these arguments each, and a fleet configuration over them (short backoff).
    static func fleet(_ arguments: [[String]], transport: Transport) throws -> ([Process], [RemoteConfiguration]) {
        let started = try arguments.map { try startServer($0, transport: transport) }
        let configs = started.map { _, port -> RemoteConfiguration in
            var c = configuration(port, transport)
            c.backoff = 0.05
            return c
        }
        return (started.map(\.0), configs)
    }

    static func configuration(_ port: Int, _ transport: Transport) -> RemoteConfiguration {
        var c = RemoteConfiguration(baseURL: URL(string: "\(transport.rawValue)://127.0.0.1:\(port)/v1")!, model: "m", apiKey: nil)
        c.caFile = transport == .https ? tlsDirectory + "/ca.pem" : nil
        return c
    }

    /// What a job of one passage came to: its verdicts, the reasons it was judged again, endpoints taken out.
    struct Outcome {
        var verdicts: [Verdict] = []
        var restarts: [String] = []
        var takenOut: [String] = []
        var finished: JobStats?
    }

    static func judge(_ engine: RemoteReranker, passage text: String) async -> Outcome {
        var o = Outcome()
        for await e in engine.start(RerankRequest(query: "cats", passages: [Passage(id: "x", text: text)])) {
            switch e {
            case .verdict(let v): o.verdicts.append(v)
            case .restarted(_, _, let reason): o.restarts.append(reason)
            case .endpoint(let name, let up, _): if !up { o.takenOut.append(name) }
            case .finished(let s): o.finished = s
            default: break
            }
        }
        return o
    }

    @Test(arguments: Transport.allCases) func eachFaultFailsItsPassageOnly(_ transport: Transport) async throws {
        let (server, port) = try RemoteFaultTests.startServer(transport: transport)
        defer { kill(server.processIdentifier, SIGKILL) }
        var config = RemoteFaultTests.configuration(port, transport)
        // Long enough that a loaded machine (the suites run in parallel on two cores) does not stall a healthy passage's
        // requests (a direct verdict is two of them); short beside the server's own 30 s stall.
        config.idleTimeout = 8
        config.retries = 0
        let engine = RemoteReranker(configuration: config)
        let modes = [
            "ok", "http500", "badjson", "truncated", "drop", "stall", "budget", "ctxfull", "interrupted", "eotverdict", "widerefused",
            "widegarbled",
        ]
        var request = RerankRequest(query: "cats", passages: modes.map { Passage(id: $0, text: "\($0) passage text") })
        request.parallel = modes.count
        let t0 = Date()
        var verdicts: [String: Verdict] = [:]
        var failures: [String: String] = [:]
        var finished = false
        for await e in engine.start(request) {
            switch e {
            case .verdict(let v): verdicts[modes[v.passage]] = v
            case .failed(let p, let reason): failures[modes[p]] = reason
            case .finished: finished = true
            default: break
            }
        }
        #expect(finished)
        // Loose: parallel test suites that block the cooperative pool can hold this one up for tens of seconds.
        // The stall itself is told apart by its reason below (the server's own stall is 30 s, then it finishes);
        // Tests/e2e/remote_faults.py times each fault on the real binary.
        #expect(Date().timeIntervalSince(t0) < 60)
        let ok = try #require(verdicts["ok"], "ok failed: \(failures["ok"] ?? "no event")")
        #expect(ok.reasoning == "The passage is about cats. It matches.\n</think>")
        #expect(!ok.forcedClose)
        #expect(ok.serverFinish == nil)  // the chain closed itself: no finish_reason to report
        #expect(abs(ok.score - 1 / (1 + exp(-1.8 + 0.2))) < 1e-9)
        // A chain the server ends at the budget is closed by force and says why it ended.
        let budget = try #require(verdicts["budget"])
        #expect(budget.forcedClose && budget.serverFinish == "length" && budget.reasoningTokens == request.budget)
        // "length" before the tokens asked for is the server's context running out, not the budget: a failure that says so.
        #expect(verdicts["ctxfull"] == nil && failures["ctxfull"]?.contains("context ended after 2 reasoning tokens") == true)
        #expect(failures["http500"] == "HTTP 500: CUDA out of memory")
        #expect(failures["badjson"]?.contains("malformed") == true)
        #expect(failures["truncated"]?.contains("truncated") == true)
        #expect(failures["drop"] != nil)
        #expect(failures["stall"]?.contains("stalled") == true)
        // A stream the server cut ([DONE], no finish_reason) is a failure, not a chain that ended.
        #expect(failures["interrupted"]?.contains("without a finish_reason") == true)
        // Where the model would end its turn, the whole distribution is asked for with end-of-turn still masked:
        // the verdict is read from it, not the fallback 0.5.
        let eot = try #require(verdicts["eotverdict"])
        #expect(abs(eot.score - 1 / (1 + exp(2.0))) < 1e-9)
        // The whole distribution refused: the reference's fallback 0.5, flagged as such; answered garbled: the judgment fails.
        #expect(verdicts["widerefused"]?.score == 0.5 && verdicts["widerefused"]?.fallback == true)
        #expect(verdicts["ok"]?.fallback == false)
        #expect(verdicts["widegarbled"] == nil && failures["widegarbled"]?.contains("malformed") == true)
    }

    /// A server closes a kept-alive connection just as the client sends on it (its idle timeout): the request goes
    /// again on a new connection, unseen by the caller, and a job through such a server judges as through any other.
    @Test(arguments: Transport.allCases) func aKeptConnectionTheServerClosedIsAskedAgainUnseen(_ transport: Transport) async throws {
        let (server, port) = try RemoteFaultTests.startServer(["dropreused"], transport: transport)
        defer { kill(server.processIdentifier, SIGKILL) }
        var config = RemoteFaultTests.configuration(port, transport)
        config.retries = 0
        let http = HTTPStreamer(caFile: config.caFile)
        let base = "\(transport.rawValue)://127.0.0.1:\(port)"
        var tokenize = URLRequest(url: URL(string: base + "/tokenize")!)
        tokenize.httpMethod = "POST"
        tokenize.httpBody = Data(#"{"prompt": "a cat"}"#.utf8)
        // Each request after the first goes out on the kept connection, which the server closes unanswered.
        for n in 0..<4 {
            let answer = try await http.data(tokenize, timeout: 10)
            #expect(String(decoding: answer, as: UTF8.self).contains("tokens"), "request \(n)")
        }
        let engine = RemoteReranker(configuration: config)
        let o = await RemoteFaultTests.judge(engine, passage: "ok passage text")
        #expect(o.verdicts.count == 1 && o.restarts.isEmpty && o.takenOut.isEmpty && o.finished?.failed == 0)
        let answer = try await http.data(URLRequest(url: URL(string: base + "/dropped")!), timeout: 10)
        let dropped = (try JSONSerialization.jsonObject(with: answer) as? [String: Any])?["dropped"] as? Int
        #expect((dropped ?? 0) >= 3, "the server met \(dropped ?? 0) requests on kept connections, not the 3 sent")
    }

    /// Redirects as clients follow them: 307/308 keep the POST and its body, 301 is followed by a GET, a POST met with
    /// 301 fails naming the new address, and a loop ends.
    @Test(arguments: Transport.allCases) func redirectsAreFollowedAsClientsDo(_ transport: Transport) async throws {
        let (server, port) = try RemoteFaultTests.startServer(transport: transport)
        defer { kill(server.processIdentifier, SIGKILL) }
        let http = HTTPStreamer(caFile: RemoteFaultTests.configuration(port, transport).caFile)
        let base = "\(transport.rawValue)://127.0.0.1:\(port)"
        func post(_ path: String) -> URLRequest {
            var r = URLRequest(url: URL(string: base + path)!)
            r.httpMethod = "POST"
            r.httpBody = Data(#"{"prompt": "a cat"}"#.utf8)
            return r
        }
        let moved = try await http.data(post("/moved308/tokenize"), timeout: 10)
        #expect(String(decoding: moved, as: UTF8.self).contains(#""tokens""#))
        let got = try await http.data(URLRequest(url: URL(string: base + "/moved301/dropped")!), timeout: 10)
        #expect(String(decoding: got, as: UTF8.self).contains(#""dropped""#))
        await #expect {
            try await http.data(post("/moved301/tokenize"), timeout: 10)
        } throws: {
            ($0 as? HTTPError)?.status == 301 && "\($0)".contains("redirects POST /moved301/tokenize to \(base)/tokenize")
        }
        await #expect {
            try await http.data(post("/loop"), timeout: 10)
        } throws: {
            ($0 as? URLError)?.code == .httpTooManyRedirects
        }
    }

    /// A server that accepts the connection and never answers the TLS handshake: the request fails within the
    /// handshake's bound (10 s), as a TLS failure, instead of waiting for whatever timer comes next.
    @Test func aSilentServerFailsTheTLSHandshakeInItsBound() async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let silent =
            "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\nprint(s.getsockname()[1],flush=True)\n"
            + "c=s.accept()\ntime.sleep(60)\n"
        p.arguments = ["python3", "-c", silent]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        defer { kill(p.processIdentifier, SIGKILL) }
        var line = Data()
        while let b = try out.fileHandleForReading.read(upToCount: 1), !b.isEmpty, b != Data([10]) { line.append(b) }
        let port = Int(String(decoding: line, as: UTF8.self))!
        let t0 = Date()
        await #expect {
            try await HTTPStreamer(caFile: RemoteFaultTests.tlsDirectory + "/ca.pem").data(
                URLRequest(url: URL(string: "https://127.0.0.1:\(port)/v1/models")!), timeout: 60)
        } throws: {
            ($0 as? URLError)?.code == .secureConnectionFailed && "\($0)".contains("handshake timed out")
        }
        #expect(Date().timeIntervalSince(t0) < 20)
    }

    @Test(arguments: Transport.allCases) func aCutStreamIsJudgedAgain(_ transport: Transport) async throws {
        let (server, port) = try RemoteFaultTests.startServer(transport: transport)
        defer { kill(server.processIdentifier, SIGKILL) }
        var config = RemoteFaultTests.configuration(port, transport)
        config.retries = 1
        config.backoff = 0.05
        let o = await RemoteFaultTests.judge(RemoteReranker(configuration: config), passage: "interruptonce passage text")
        #expect(o.verdicts.count == 1 && o.verdicts.first?.reasoning == "The passage is about cats. It matches.\n</think>")
        #expect(o.restarts.count == 1 && o.restarts.first?.contains("without a finish_reason") == true)
    }

    @Test(arguments: Transport.allCases) func aFleetKeepsAnEndpointWhoseStreamWasCut(_ transport: Transport) async throws {
        let (servers, configs) = try RemoteFaultTests.fleet([[], []], transport: transport)
        defer { for s in servers { kill(s.processIdentifier, SIGKILL) } }
        let o = await RemoteFaultTests.judge(RemoteReranker(configurations: configs), passage: "interruptonce passage text")
        #expect(o.verdicts.count == 1 && o.verdicts.first?.reasoning == "The passage is about cats. It matches.\n</think>")
        // Each server cuts the first stream of the prompt once: one or two cuts, each judged again, no endpoint out.
        #expect(
            (1...2).contains(o.restarts.count) && o.restarts.allSatisfy { $0.contains("without a finish_reason") && $0.hasSuffix("judged again") })
        #expect(o.takenOut.isEmpty)
        #expect(o.finished?.endpoints.allSatisfy { $0.up && $0.takenOut == 0 } == true)
    }

    /// A server going down answers a stream with nothing at all ("not an event stream"): in a fleet the passage goes to
    /// the other endpoint and the one going down is taken out; nothing fails.
    @Test(arguments: Transport.allCases) func aFleetMovesWhatAnEndpointGoingDownCannotAnswer(_ transport: Transport) async throws {
        let (servers, configs) = try RemoteFaultTests.fleet([["down"], []], transport: transport)
        defer { for s in servers { kill(s.processIdentifier, SIGKILL) } }
        let live = configs[1].baseURL.port!
        var request = RerankRequest(query: "cats", passages: (0..<4).map { Passage(id: "p\($0)", text: "ok passage \($0)") })
        request.parallel = 2
        var verdicts: [Verdict] = []
        var failures: [String] = []
        var restarts: [String] = []
        var finished: JobStats?
        for await e in RemoteReranker(configurations: configs).start(request) {
            switch e {
            case .verdict(let v): verdicts.append(v)
            case .failed(_, let r): failures.append(r)
            case .restarted(_, _, let r): restarts.append(r)
            case .finished(let s): finished = s
            default: break
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(verdicts.count == 4 && verdicts.allSatisfy { $0.endpoint?.contains(":\(live)") == true })
        #expect(!restarts.isEmpty && restarts.allSatisfy { $0.contains("not an event stream") && $0.hasSuffix("judged again on another endpoint") })
        #expect(finished?.endpoints.first?.takenOut ?? 0 >= 1)
    }

    /// A stalling server holds a passage for the stall budget in all, not a stall per retry, and each stall is said as it
    /// happens (the retry's number with it).
    @Test(arguments: Transport.allCases) func stallsAreBoundedInAllAndSaidAsTheyHappen(_ transport: Transport) async throws {
        let (server, port) = try RemoteFaultTests.startServer(transport: transport)
        defer { kill(server.processIdentifier, SIGKILL) }
        var config = RemoteFaultTests.configuration(port, transport)
        config.idleTimeout = 1
        config.stallBudget = 3
        config.retries = 6
        config.backoff = 0.05
        let t0 = Date()
        var failure: String?
        var restarts: [String] = []
        var request = RerankRequest(query: "q", passages: [Passage(id: "s", text: "stall here")])
        request.direct = false
        for await e in RemoteReranker(configuration: config).start(request) {
            if case .failed(_, let r) = e { failure = r }
            if case .restarted(_, _, let r) = e { restarts.append(r) }
        }
        #expect(failure?.contains("past --stall-budget 3") == true, "\(failure ?? "no failure")")
        #expect(restarts == ["the server stalled (no token for 1 s); retry 1/6", "the server stalled (no token for 1 s); retry 2/6"])
        #expect(Date().timeIntervalSince(t0) < 20)  // three stalls of a second, not seven
    }

    @Test(arguments: Transport.allCases) func serverDownFailsWithAClearReason(_ transport: Transport) async throws {
        // A port nothing listens on (bound, then closed).
        let (server, port) = try RemoteFaultTests.startServer(transport: transport)
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        var config = RemoteFaultTests.configuration(port, transport)
        config.retries = 1
        config.backoff = 0.05
        let engine = RemoteReranker(configuration: config)
        var reasons: [String] = []
        for await e in engine.start(RerankRequest(query: "q", passages: [Passage(id: "a", text: "x")])) {
            if case .failed(_, let r) = e { reasons.append(r) }
        }
        #expect(reasons.count == 1)
        #expect(reasons.first?.contains("cannot connect") == true)
    }

    @Test(arguments: Transport.allCases) func longPassagesAreCutWithTheServersTokenizer(_ transport: Transport) async throws {
        let (server, port) = try RemoteFaultTests.startServer(transport: transport)
        defer { kill(server.processIdentifier, SIGKILL) }
        let config = RemoteFaultTests.configuration(port, transport)
        let engine = RemoteReranker(configuration: config)
        let words = ["echo"] + (1...60).map { "word\($0)" }
        var request = RerankRequest(query: "q", passages: [Passage(id: "long", text: words.joined(separator: " "))])
        request.maxPassageTokens = 10
        var truncated: Bool?
        var reasoning = ""
        for await e in engine.start(request) {
            if case .started(_, let t) = e { truncated = t }
            if case .verdict(let v) = e { reasoning = v.reasoning }
        }
        // The first 10 tokens by the server's tokenizer, cut back to the last word boundary, then marked.
        #expect(truncated == true)
        #expect(reasoning == words.prefix(9).joined(separator: " ") + " […]\n</think>")
    }

    @Test(arguments: Transport.allCases) func cancelClosesTheStreams(_ transport: Transport) async throws {
        let (server, port) = try RemoteFaultTests.startServer(transport: transport)
        defer { kill(server.processIdentifier, SIGKILL) }
        var config = RemoteFaultTests.configuration(port, transport)
        config.idleTimeout = 20
        let engine = RemoteReranker(configuration: config)
        let stream = engine.start(RerankRequest(query: "q", passages: [Passage(id: "s", text: "stall here")]))
        let t0 = Date()
        var events = 0
        for await e in stream {
            events += 1
            if case .token = e { engine.cancel() }
        }
        #expect(Date().timeIntervalSince(t0) < 5)  // not the 20 s idle timeout nor the server's 30 s stall
        #expect(events <= 3)
    }

    /// A server behind a private CA, asked without trusting it: a TLS failure that says how to trust it, not retried.
    @Test func anUntrustedServerIsATLSFailureNamingTheFix() async throws {
        let (server, port) = try RemoteFaultTests.startServer(transport: .https)
        defer { kill(server.processIdentifier, SIGKILL) }
        var config = RemoteFaultTests.configuration(port, .https)
        config.caFile = nil
        var reasons: [String] = []
        var request = RerankRequest(query: "q", passages: [Passage(id: "a", text: "ok passage")])
        request.direct = false
        for await e in RemoteReranker(configuration: config).start(request) {
            if case .failed(_, let r) = e { reasons.append(r) }
        }
        #expect(reasons.count == 1 && reasons[0].contains("TLS failed") && reasons[0].contains("--ca-file"), "\(reasons)")
    }
}
