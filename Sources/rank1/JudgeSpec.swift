import Foundation
import Rerank

/// One of two judges side by side (`--judge NAME=SPEC`): an embedded model's name or a GGUF path, or a server's URL
/// with its model (`URL#MODEL`).
struct JudgeSpec: Equatable {
    let name: String
    /// The server, or nil for the in-process engine.
    let url: URL?
    /// The model: an embedded name or a path in-process, the server's model name remotely.
    let model: String

    /// Two specs with distinct names; a malformed one is refused naming it.
    static func parse(_ specs: [String]) throws -> [JudgeSpec] {
        let parsed = try specs.map(parse)
        if parsed.count == 2 && parsed[0].name == parsed[1].name { throw RerankError("--judge: two judges named \"\(parsed[0].name)\"") }
        return parsed
    }

    static func parse(_ spec: String) throws -> JudgeSpec {
        guard let eq = spec.firstIndex(of: "=") else {
            throw RerankError("--judge \(spec): expected NAME=SPEC (e.g. a=qwen, b=http://host:8000/v1#model)")
        }
        let name = String(spec[..<eq])
        let rest = String(spec[spec.index(after: eq)...])
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw RerankError("--judge \(spec): the name must be letters, digits, - or _ (it names the judge's runs)")
        }
        guard !rest.isEmpty else { throw RerankError("--judge \(spec): nothing after \"=\"") }
        guard rest.hasPrefix("http://") || rest.hasPrefix("https://") else { return JudgeSpec(name: name, url: nil, model: rest) }
        let parts = rest.split(separator: "#", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty, let url = URL(string: parts[0]), url.host != nil else {
            throw RerankError("--judge \(spec): a server is URL#MODEL (the model the server serves), e.g. http://127.0.0.1:8000/v1#rank1-7b")
        }
        return JudgeSpec(name: name, url: url, model: parts[1])
    }
}

extension ModelOptions {
    /// The two judges of --judge (else the config's `judges`), or none. An in-process judge whose model cannot be
    /// loaded stops here, named; a server is probed by `prepare`, which the caller runs before any work.
    func makeJudges(cache: Bool = true) throws -> [(name: String, engine: any Reranker)] {
        var specs = judges
        if specs.isEmpty && model == nil && endpoint.isEmpty { specs = try UserConfig.get().judges }
        guard !specs.isEmpty else { return [] }
        return try JudgeSpec.parse(specs).map { spec in
            do {
                if let url = spec.url {
                    let config = try remoteConfiguration(url, model: spec.model)
                    return (spec.name, RemoteReranker(configurations: [config], cache: noCache || !cache ? nil : TraceCache()))
                }
                let config = LlamaConfiguration(
                    libraryPath: RuntimeDiscovery.libraryPath(explicit: llamaLib), modelPath: RuntimeDiscovery.modelPath(explicit: spec.model),
                    threads: threads, cache: noCache || !cache ? nil : TraceCache())
                return (spec.name, try LlamaReranker(configuration: config))
            } catch {
                throw RerankError("judge \(spec.name) (\(spec.url.map { "\($0.absoluteString)#\(spec.model)" } ?? spec.model)): \(error)")
            }
        }
    }
}
