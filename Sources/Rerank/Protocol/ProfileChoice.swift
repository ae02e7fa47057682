/// What a model's vocabulary says about how to judge with it. The same facts come from a GGUF file in-process
/// and from a server's tokenizer remotely, so one file gets one profile on every backend.
public struct VocabularyFacts: Sendable, Equatable {
    /// The id of `</think>` when the vocabulary holds it as ONE token (real Rank1 checkpoints add it as a
    /// special token in training); nil when it is several tokens or unknown.
    public var thinkClose: Int32?
    /// `</think>` is a control token: servers hide it from output text unless asked (see PROTOCOL.md).
    public var thinkCloseIsControl: Bool
    /// The ids of " true" and " false" when each is one token.
    public var trueToken: Int32?
    public var falseToken: Int32?
    /// The model's chat template; nil when the backend cannot tell (a server without /props).
    public var chatTemplate: String?

    public init(thinkClose: Int32?, thinkCloseIsControl: Bool, trueToken: Int32?, falseToken: Int32?, chatTemplate: String?) {
        self.thinkClose = thinkClose
        self.thinkCloseIsControl = thinkCloseIsControl
        self.trueToken = trueToken
        self.falseToken = falseToken
        self.chatTemplate = chatTemplate
    }

    /// Shaped like a Rank1 checkpoint: `</think>` is one token and the verdict words are one token each.
    public var isRank1Shaped: Bool { thinkClose != nil && trueToken != nil && falseToken != nil }
}

/// The profile a backend picked for its model, and why, in words a user can check.
public struct ProfileChoice: Sendable, Equatable {
    public var profile: PromptProfile
    public var reason: String
    /// Whether the model is shaped like a Rank1 checkpoint (nil: the backend cannot tell).
    public var rank1Shaped: Bool?
    public init(profile: PromptProfile, reason: String, rank1Shaped: Bool?) {
        self.profile = profile
        self.reason = reason
        self.rank1Shaped = rank1Shaped
    }

    /// The same model judged with a profile the user asked for by name.
    public func asked(_ p: PromptProfile) -> ProfileChoice {
        p == profile ? self : ProfileChoice(profile: p, reason: "asked for with --profile (auto: \(profile.name))", rank1Shaped: rank1Shaped)
    }
}

extension PromptProfile {
    /// The profile a model gets with `--profile auto`: decided by what the model is (its vocabulary), never by
    /// its file name. nil facts: a server that does not expose its tokenizer, where the raw protocol (what
    /// servers are for) is the default.
    public static func automatic(_ facts: VocabularyFacts?) -> ProfileChoice {
        guard let facts else {
            return ProfileChoice(profile: .rank1, reason: "the server does not expose its tokenizer; rank1 is the remote default", rank1Shaped: nil)
        }
        if facts.isRank1Shaped {
            let kind = facts.thinkCloseIsControl ? "a control token" : "one token"
            return ProfileChoice(
                profile: .rank1,
                reason: "</think> is \(kind) (id \(facts.thinkClose!)) and \" true\"/\" false\" are single tokens: a Rank1-shaped checkpoint",
                rank1Shaped: true)
        }
        let why = facts.thinkClose == nil ? "</think> is several tokens" : "\" true\"/\" false\" are not single tokens"
        guard let template = facts.chatTemplate else {
            return ProfileChoice(profile: .rank1, reason: "\(why) and the chat template is unknown; rank1 is the remote default", rank1Shaped: false)
        }
        if template.contains("<|im_start|>") {
            return ProfileChoice(profile: .chatml, reason: "\(why) (not a Rank1 checkpoint); its chat template is ChatML", rank1Shaped: false)
        }
        if template.contains("<start_of_turn>") {
            return ProfileChoice(profile: .gemma, reason: "\(why) (not a Rank1 checkpoint); its chat template is Gemma's", rank1Shaped: false)
        }
        return ProfileChoice(
            profile: .rank1, reason: "\(why) and it has no chat template it could be asked in: the raw Rank1 prompt", rank1Shaped: false)
    }
}
