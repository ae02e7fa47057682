import ArgumentParser
import Foundation
import Rerank
import Retrieval

/// The user's defaults, from $XDG_CONFIG_HOME/rank1/config.json (else ~/.config/rank1/config.json):
/// {"model": …, "endpoint": "URL" or ["URL", …], "preset": …, "theme": …, "keymap": …, "index": …, "api_key": …,
/// "judges": ["NAME=SPEC", "NAME=SPEC"]}.
/// Command-line flags override it; `model` and `endpoint` go together (either flag replaces both, so a
/// configured server's model name never meets an in-process run). A key it does not know, or a value of the
/// wrong type, stops the command with the file and the key: a typo must not be silently ignored.
struct UserConfig: Sendable {
    var model: String?
    var endpoints: [String] = []
    var preset: String?
    var theme: String?
    var keymap: String?
    var index: String?
    /// Two judges side by side (`--judge`), used when no model, endpoint or judge flag is given.
    var judges: [String] = []

    static let keys = ["model", "endpoint", "preset", "theme", "keymap", "index", "api_key", "judges"]

    /// Read once per process; a missing file is an empty config.
    static let current: Result<UserConfig, Error> = Result { try load(path: RuntimeDiscovery.configPath()) }

    static func load(path: String) throws -> UserConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            // No file is an empty config; a file that cannot be read is not (its settings would silently not apply).
            if FileManager.default.fileExists(atPath: path) { throw RerankError("\(path): cannot be read") }
            return UserConfig()
        }
        let obj: [String: Any]
        do { obj = try JSONObjectText.object(data) } catch {
            throw RerankError("\(path): \(error.message) (keys: \(keys.joined(separator: ", ")))")
        }
        var c = UserConfig()
        for (key, value) in obj.sorted(by: { $0.key < $1.key }) {
            func text() throws -> String {
                guard let s = value as? String, !s.isEmpty else { throw RerankError("\(path): \"\(key)\" must be a non-empty string") }
                return s
            }
            switch key {
            case "model": c.model = try text()
            case "endpoint":
                if let list = value as? [String] {
                    guard !list.isEmpty, !list.contains(where: \.isEmpty) else {
                        throw RerankError("\(path): \"endpoint\" must be a URL or a non-empty list of URLs")
                    }
                    c.endpoints = list
                } else {
                    c.endpoints = [try text()]
                }
            case "preset": c.preset = try text()
            case "theme": c.theme = try text()
            case "keymap": c.keymap = try text()
            case "index": c.index = try text()
            case "judges":
                guard let list = value as? [String], list.count == 2, !list.contains(where: \.isEmpty) else {
                    throw RerankError("\(path): \"judges\" must be a list of two \"NAME=SPEC\" strings")
                }
                c.judges = list
            case "api_key": _ = try text()  // read where it is used (RemoteConfiguration), never printed
            default: throw RerankError("\(path): unknown key \"\(key)\" (known: \(keys.joined(separator: ", ")))")
            }
        }
        return c
    }

    /// The config, or the command stops with its problem.
    static func get() throws -> UserConfig {
        switch current {
        case .success(let c): return c
        case .failure(let e):
            printError("rank1: \(e)")
            throw ExitCode.failure
        }
    }
}

struct ConfigError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The index used when none is given: $RANK1_INDEX, else the config's, else the Debian corpus index that setup
/// builds in the runtime's folder.
func defaultIndex() throws -> String {
    if let env = ProcessInfo.processInfo.environment["RANK1_INDEX"], !env.isEmpty { return env }
    return try UserConfig.get().index ?? RuntimeDiscovery.projectRoot() + "/.index/debian"
}
