import ArgumentParser
import Rerank
import Retrieval

// Typed command-line values: the parser refuses a wrong one, naming the choices, before any work starts.

/// --profile: auto (the backend's choice from the model's metadata), or one of the prompt profiles.
enum ProfileArgument: ExpressibleByArgument, Equatable {
    case auto
    case named(PromptProfile)

    init?(argument: String) {
        if argument == "auto" {
            self = .auto
        } else if let p = PromptProfile.named(argument) {
            self = .named(p)
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { ["auto"] + PromptProfile.all.map(\.name) }
    var defaultValueDescription: String { name }
    var name: String {
        switch self {
        case .auto: "auto"
        case .named(let p): p.name
        }
    }

    func resolved(automatic: PromptProfile) -> PromptProfile {
        switch self {
        case .auto: automatic
        case .named(let p): p
        }
    }
}

/// --settings: named sets of judging settings (only the reference's evaluation so far).
enum SettingsPreset: String, ExpressibleByArgument, CaseIterable {
    case paper
}

/// --store: what an index keeps of each document.
enum StoreArgument: String, ExpressibleByArgument, CaseIterable {
    case text, none
}

/// on | off switches (--draft).
enum Switch: String, ExpressibleByArgument, CaseIterable {
    case on, off
}

/// --early-exit P,K: stop a chain once its last K probes are all ≥ P or all ≤ 1 − P.
extension EarlyExit: ExpressibleByArgument {
    public init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let p = Double(parts[0]), let k = Int(parts[1]) else { return nil }
        self.init(threshold: p, count: k)
    }
    public var defaultValueDescription: String { "\(threshold),\(count)" }
}

/// `--early-exit P,K` or `off` (the profile's default when not given).
enum EarlyExitArgument: ExpressibleByArgument, Equatable {
    case off
    case rule(EarlyExit)
    init?(argument: String) {
        if argument == "off" {
            self = .off
        } else if let rule = EarlyExit(argument: argument) {
            self = .rule(rule)
        } else {
            return nil
        }
    }
    var rule: EarlyExit? { if case .rule(let r) = self { r } else { nil } }
}

extension Schedule: ExpressibleByArgument {}

extension CorpusFormat: ExpressibleByArgument {}

extension Comparison.Measure: ExpressibleByArgument {}
