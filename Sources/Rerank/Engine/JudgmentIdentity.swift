import Foundation

/// What makes two judgments the same, in one place: the judge (its model, by content in-process or as the server
/// reports it, and the threads, which change llama.cpp's sums), the subject (query, instruction, passage) and every
/// setting of the request. The settings are read off `RerankRequest` itself (its stored properties, by `Mirror`),
/// so a setting added there joins the identity without anyone listing it. The trace cache's key and an evaluation
/// journal's settings are both made from this.
public struct JudgmentIdentity: Sendable, Equatable {
    /// The judge: the model's content fingerprint (in-process), or "remote <server kind> <model>".
    public var judge: String
    /// In-process decoding threads (nil for a server).
    public var threads: Int?
    /// The profile the request resolves to (a request without one takes the model's automatic profile).
    public var profile: String
    /// Every setting of the request but its subject, by property name, as text.
    public var settings: [String: String]

    /// The request's properties that are its subject, not a setting: they are in the key per judgment.
    public static let subject: Set<String> = ["query", "instruction", "passages"]

    public init(judge: String, threads: Int?, request: RerankRequest, profile: PromptProfile) {
        self.judge = judge
        self.threads = threads
        self.profile = profile.name
        var settings: [String: String] = [:]
        for child in Mirror(reflecting: request).children {
            guard let name = child.label, !JudgmentIdentity.subject.contains(name) else { continue }
            settings[name] = JudgmentIdentity.text(child.value)
        }
        settings["profile"] = profile.name  // resolved: nil and the automatic profile are the same judgment
        self.settings = settings
    }

    /// A value as stable text: optionals unwrapped ("none" when empty), everything else as Swift describes it.
    static func text(_ value: Any) -> String {
        let m = Mirror(reflecting: value)
        if m.displayStyle == .optional { return m.children.first.map { text($0.value) } ?? "none" }
        if let p = value as? PromptProfile { return p.name }
        return String(describing: value)
    }

    /// The settings as an evaluation journal records them (with the judge and its threads).
    public var journalSettings: [String: String] {
        var out = settings
        out["judge"] = judge
        out["threads"] = threads.map(String.init) ?? "none"
        return out
    }
}
