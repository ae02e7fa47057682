import ArgumentParser
import Foundation
import Rerank
import Retrieval

/// The streaming client against a synthetic vLLM-shaped server (rank1-synthetic-server, a separate process, so
/// only the client's CPU is counted): client CPU seconds per 1,000 tokens at each number of open streams.
struct BenchClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "The remote client's CPU cost per streamed token, at 64, 256 and 1,024 concurrent streams.",
        discussion: """
            rank1-synthetic-server (built beside rank1) streams each chain as HTTP/1.1 chunked SSE events with logprobs, \
            one per token, as vLLM does; tokens leave at --rate in total, one per stream per step, as from a batched \
            decoder. rank1 judges passages through it with the real remote reranker (probe, streams, chain, verdicts) \
            with --parallel set to each stream count. Reported: the client's CPU time (user + system, this process only) \
            per 1,000 tokens, the tokens per second one client core could take at that cost, and memory. Medians of \
            --repeat runs per level.
            """)

    @Option(help: "Numbers of concurrent streams, comma-separated.") var streams = "64,256,1024"
    @Option(help: "Tokens per chain.") var tokens = 256
    @Option(help: "Total tokens per second the server streams (0: as fast as the client takes them).") var rate = 30_000.0
    @Option(help: "Tokens per run (at least one chain per stream).") var total = 150_000
    @Option(name: .customLong("repeat"), help: "Runs per level (medians are reported).") var repetitions = 3

    var levels: [Int] { streams.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !levels.isEmpty, levels.allSatisfy({ (1...1024).contains($0) }) else { throw ValidationError("--streams: numbers from 1 to 1,024") }
        guard tokens > 1, total > 0, repetitions > 0, rate >= 0 else {
            throw ValidationError("--tokens, --total and --repeat must be positive, --rate at least 0")
        }
    }

    func run() async throws {
        let server = try SyntheticServer(tokens: tokens, rate: rate)
        defer { server.stop() }
        var config = RemoteConfiguration(baseURL: URL(string: "http://127.0.0.1:\(server.port)/v1")!, model: "synthetic", apiKey: nil)
        config.concurrency = 1024
        let engine = RemoteReranker(configuration: config)
        _ = try await prepared(engine)
        print(
            "rank1-synthetic-server: \(tokens) tokens per chain, " + (rate > 0 ? "\(Int(rate)) tokens/s in total" : "unpaced")
                + "; \(repetitions) runs per level (medians); client CPU = user + system time of this process")
        print("streams | tokens/run | wall s | achieved tok/s | client CPU ms per 1,000 tok | tok/s per client core | RSS MB after | failed")
        var worst = Double.infinity
        var anyFailed = false
        for n in levels {
            let chains = max(n, (total + tokens - 1) / tokens)
            var request = RerankRequest(
                query: "protein folding", instruction: nil,
                passages: (0..<chains).map { Passage(id: "p\($0)", text: "Passage \($0) about proteins.") })
            request.parallel = n
            request.budget = tokens + 8
            request.profile = PromptProfile.named("rank1")
            var cpuPerK: [Double] = []
            var walls: [Double] = []
            var done = 0
            var failed = 0
            for _ in 0..<repetitions {
                let cpu0 = processCPUSeconds()
                let wall0 = monotonicSeconds()
                var stats: JobStats?
                for await e in engine.start(request) {
                    if case .finished(let s) = e { stats = s }
                    if case .failed = e { failed += 1 }
                }
                let cpu = processCPUSeconds() - cpu0
                let wall = monotonicSeconds() - wall0
                done = stats?.decodeTokens ?? 0
                cpuPerK.append(done > 0 ? cpu / Double(done) * 1e6 : .infinity)  // ms per 1,000 tokens
                walls.append(wall)
            }
            let c = median(cpuPerK)
            let w = median(walls)
            worst = min(worst, 1e6 / c)
            print(
                String(
                    format: "%7d | %10d | %6.2f | %14.0f | %27.2f | %21.0f | %12.1f | %d", n, done, w, Double(done) / w, c, 1e6 / c,
                    residentMegabytes(), failed))
            anyFailed = anyFailed || failed > 0 || done != chains * tokens
        }
        print(String(format: "slowest level: %.0f tokens/s per client core (goal: at least 30,000)", worst))
        if anyFailed {  // a figure from a run that lost chains or tokens measures nothing
            FileHandle.standardError.write(Data("rank1 bench client: chains failed or tokens went missing; the figures above are not valid\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// rank1-synthetic-server as a child process: its port, and stopped by closing its stdin.
final class SyntheticServer {
    let port: Int
    private let process = Process()
    private let input = Pipe()

    init(tokens: Int, rate: Double) throws {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("rank1-synthetic-server")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw RerankError("no \(binary.path): build it with `swift build -c release --product rank1-synthetic-server`")
        }
        let output = Pipe()
        process.executableURL = binary
        process.arguments = ["--tokens", "\(tokens)", "--rate", "\(rate)"]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let port = Int(line) else { throw RerankError("rank1-synthetic-server did not say its port (said \"\(line)\")") }
        self.port = port
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// User + system CPU seconds of this process so far.
func processCPUSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
}

/// This process's resident memory now, in MB (/proc/self/status VmRSS).
func residentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return 0 }
    return kb / 1024
}
