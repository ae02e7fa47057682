/// How the Rank1 question is put to a model. Real Rank1 checkpoints were trained on one raw prompt and get it
/// byte for byte (`rank1`); generic instruct models get the same question inside their chat template, with the
/// assistant turn prefilled with `<think>` and, optionally, worked demonstrations in the shared prefix. Every
/// profile ends its prompt inside the reasoning and reads the verdict after `</think>` exactly as Rank1 does, so
/// scores stay comparable.
public struct PromptProfile: Sendable, Equatable, Hashable {
    public enum Format: String, Sendable, CaseIterable {
        /// The raw Rank1 prompt, no chat template.
        case raw
        /// `<|im_start|>role … <|im_end|>` (Qwen, SmolLM2).
        case chatml
        /// `<start_of_turn>user … <end_of_turn>` (Gemma; no system role, so it opens the first user turn).
        case gemma
    }

    public var name: String
    public var format: Format
    public var demonstrations: Bool

    public static let rank1 = PromptProfile(name: "rank1", format: .raw, demonstrations: false)
    public static let chatml = PromptProfile(name: "chatml", format: .chatml, demonstrations: false)
    public static let chatmlDemo = PromptProfile(name: "chatml-demo", format: .chatml, demonstrations: true)
    public static let gemma = PromptProfile(name: "gemma", format: .gemma, demonstrations: false)
    public static let gemmaDemo = PromptProfile(name: "gemma-demo", format: .gemma, demonstrations: true)
    public static let all: [PromptProfile] = [.rank1, .chatml, .chatmlDemo, .gemma, .gemmaDemo]

    public static func named(_ name: String) -> PromptProfile? { all.first { $0.name == name } }

    /// Whether this is the byte-exact Rank1 protocol (no fusion, no chat wrapping).
    public var isRank1: Bool { format == .raw }

    // Thinking settings a profile gets unless asked otherwise. The Rank1 protocol runs untouched; chat
    // profiles (small generic models) get the settings measured best on scifact train (README "Model profiles").
    public var defaultMinReasoningTokens: Int { isRank1 ? 0 : 40 }
    public var defaultBudget: Int { isRank1 ? 256 : 96 }
    public var defaultMaxPassageTokens: Int { isRank1 ? 384 : 256 }
    public var defaultRepetitionGuard: Bool { !isRank1 }
    public var defaultFusion: ScoreFusion? { isRank1 ? nil : ScoreFusion(weight: 0.3) }
    /// Early exit unless asked otherwise: the Rank1 protocol runs every chain to its end; chat profiles stop a chain
    /// at its first probe away from 0.5 (0.51,1: of 21 rules measured on 40 scifact train queries, the one that saved
    /// the most reasoning, 65% of the tokens, without losing nDCG@10; README "An answer in seconds").
    public var defaultEarlyExit: EarlyExit? { isRank1 ? nil : EarlyExit(threshold: 0.51, count: 1) }

    /// Everything before the passage text: shared by every passage of a job. Ends with "Passage: ".
    public func prefix(filledQuery: String) -> String {
        switch format {
        case .raw:
            return Rank1Prompt.prefix(filledQuery: filledQuery)
        case .chatml, .gemma:
            var s = openSystem()
            if demonstrations {
                for d in Demonstration.all {
                    s += userTurn(Rank1Prompt.prefix(filledQuery: d.query) + d.passage)
                    s += assistantTurn(Rank1Prompt.thinkOpen + "\n" + d.reasoning + "\n" + Rank1Prompt.thinkClose + " " + d.verdict)
                }
            }
            return s + openUser() + Rank1Prompt.prefix(filledQuery: filledQuery)
        }
    }

    /// The whole prompt; it ends inside the reasoning, right after `<think>` (and, in chat formats, a newline).
    public func prompt(filledQuery: String, passage: String) -> String {
        switch format {
        case .raw: return Rank1Prompt.prompt(filledQuery: filledQuery, passage: passage)
        case .chatml, .gemma:
            return prefix(filledQuery: filledQuery) + passage + closeTurn() + openAssistant() + Rank1Prompt.thinkOpen + "\n"
        }
    }

    /// Asks for a short, structured argument: small instruct models otherwise answer at once with no
    /// reasoning, or drift into restating the prompt.
    static let system =
        "You judge whether a passage is relevant to a search query. Inside <think> </think> write three short sentences: "
        + "what the query asks or claims; what the passage reports about it; whether the passage answers, supports or contradicts "
        + "the query, or is about something else. Then answer with one word: true if the passage answers, supports or contradicts "
        + "the query, false otherwise."

    /// Text the reasoning starts with, written into the prompt and shown as the chain's first words. Chat
    /// formats start the argument ("The query …") so that the model argues instead of answering at once.
    public var reasoningStart: String { format == .raw ? "" : "The query" }

    /// What follows the prompt when a chain is closed by force. The raw protocol's rule exactly; chat
    /// prompts already end with a newline after `<think>`, so no second one is added.
    public func forcedCloseSuffix(reasoning: String) -> String {
        format == .raw
            ? Rank1Prompt.forcedCloseSuffix(reasoning: reasoning)
            : Rank1Prompt.cutReasoning(reasoning) + "\n" + Rank1Prompt.thinkClose
    }

    private func openSystem() -> String {
        switch format {
        case .raw: return ""
        case .chatml: return "<|im_start|>system\n" + PromptProfile.system + "<|im_end|>\n"
        // Gemma has no system role: the instructions are a user turn of their own.
        case .gemma: return "<start_of_turn>user\n" + PromptProfile.system + "<end_of_turn>\n"
        }
    }
    private func openUser() -> String {
        switch format {
        case .raw: return ""
        case .chatml: return "<|im_start|>user\n"
        case .gemma: return "<start_of_turn>user\n"
        }
    }
    private func openAssistant() -> String {
        switch format {
        case .raw: return ""
        case .chatml: return "<|im_start|>assistant\n"
        case .gemma: return "<start_of_turn>model\n"
        }
    }
    private func closeTurn() -> String {
        switch format {
        case .raw: return ""
        case .chatml: return "<|im_end|>\n"
        case .gemma: return "<end_of_turn>\n"
        }
    }
    private func userTurn(_ text: String) -> String { openUser() + text + closeTurn() }
    private func assistantTurn(_ text: String) -> String { openAssistant() + text + closeTurn() }
}
