import Foundation

/// The Rank1 judging protocol for one passage, in ONE place for every backend: when a chain is closed
/// (by `</think>`, seen by id or in the text), when it is closed by force (end of generation, the budget, a
/// loop) and with what text, the minimum length, rethinks. Backends only move tokens in and evaluate the
/// text this returns; the in-process engine and the remote client therefore judge alike.
public struct ReasoningChain: Sendable {
    public struct Rules: Sendable {
        public var profile: PromptProfile
        public var budget: Int
        public var minTokens: Int
        public var repetitionGuard: Bool
        public var repetitionWindow: Int
        public var rethinks: Int
        /// `</think>` as one token (Rank1 checkpoints): a close is recognised by id even where the text of
        /// a control token is hidden.
        public var thinkClose: Int32?

        public init(request: RerankRequest, profile: PromptProfile, thinkClose: Int32?) {
            self.profile = profile
            budget = request.budget
            minTokens = request.minReasoningTokens
            repetitionGuard = request.repetitionGuard
            repetitionWindow = request.repetitionWindow
            rethinks = request.rethink
            self.thinkClose = thinkClose
        }
    }

    /// What a backend does after a token.
    public enum Step: Equatable, Sendable {
        /// Keep generating.
        case more
        /// The chain is closed: evaluate `prompt + closing` and read the verdict at the next position.
        /// `atEnd`: the close is the token just generated, so a backend holding the sequence's cache may
        /// evaluate that token alone instead of the whole text.
        case close(closing: String, atEnd: Bool)
    }

    public let rules: Rules
    /// The text after `<think>`: the profile's start, then every token's text (`</think>` included once closed).
    public private(set) var reasoning: String
    /// Reasoning tokens in the current round, and over all rounds.
    public private(set) var thought = 0
    public private(set) var totalThought = 0
    public private(set) var forced = false
    public private(set) var rethinks = 0
    public private(set) var repetitive = false
    public private(set) var stoppedRepeating = false
    public private(set) var closed = false
    /// Sentences ended so far; set by `append` when its token began right after a sentence's end (`.`, `!` or
    /// `?`, then whitespace): the closing text a forced close there would evaluate (what a verdict probe reads).
    public private(set) var sentences = 0
    public var sentenceClose: String? {
        sentenceEnd.map { rules.profile.forcedCloseSuffix(reasoning: String(decoding: reasoning.utf8.prefix($0), as: UTF8.self)) }
    }
    /// Where the reasoning's sentence ended (its UTF-8 length then): the closing text is made only when asked for
    /// (probes ask; a remote chain never does, and making it at every sentence cost a copy of the whole chain).
    private var sentenceEnd: Int?
    private var detector: RepetitionDetector
    private var tokenEnds: [Int] = []  // reasoning.utf8.count after each token the detector saw
    private var roundStart: Int
    private var interned: [String: Int32] = [:]  // token texts → stand-in ids, for backends without ids

    public init(rules: Rules) {
        self.rules = rules
        reasoning = rules.profile.reasoningStart
        roundStart = reasoning.utf8.count
        detector = RepetitionDetector(window: rules.repetitionWindow)
    }

    /// Closing is masked (end of generation, `</think>`) while the chain is shorter than its minimum.
    public var closingMasked: Bool { thought < rules.minTokens }
    /// Tokens this round may still generate.
    public var remainingBudget: Int { max(0, rules.budget - thought) }

    /// A generated token: its id where the backend has one, its text (empty for a hidden control token), and
    /// whether it ends generation. Returns the text to show and what to do next.
    public mutating func append(token: Int32?, text: String, endsGeneration: Bool) -> (shown: String, step: Step) {
        precondition(!closed, "a closed chain takes no tokens")
        if endsGeneration { return ("", forceClose(reasoning)) }
        let byID = token != nil && token == rules.thinkClose
        // A hidden `</think>` (recognised by id) is written out, so the reasoning reads the same everywhere.
        let piece = byID && !text.contains(Rank1Prompt.thinkClose) ? text + Rank1Prompt.thinkClose : text
        sentenceEnd = nil
        if let first = piece.unicodeScalars.first, first.properties.isWhitespace, reasoning.utf8.count > roundStart,
            let last = reasoning.unicodeScalars.last, last == "." || last == "!" || last == "?"
        {
            sentences += 1
            sentenceEnd = reasoning.utf8.count
        }
        thought += 1
        totalThought += 1
        let before = reasoning.utf8.count
        reasoning += piece
        let id = token ?? intern(piece)
        if let start = detector.append(id) {
            repetitive = true
            if rules.repetitionGuard {
                // Cut before the repeated run began, then close by force as at the budget.
                let keep = start == 0 ? roundStart : tokenEnds[start - 1]
                stoppedRepeating = true
                return (piece, forceClose(String(decoding: reasoning.utf8.prefix(keep), as: UTF8.self)))
            }
        }
        tokenEnds.append(reasoning.utf8.count)
        // Only the new text (and the bytes before it that could start `</think>`) is searched: a chain is
        // thousands of tokens long, and this runs for each.
        if let closeEnd = ReasoningChain.thinkCloseEnd(in: &reasoning, from: max(0, before - ReasoningChain.closeBytes.count + 1)) {
            // Whatever followed `</think>` in the same token is not reasoning, and is not shown.
            closed = true
            let atEnd = closeEnd == reasoning.utf8.count
            reasoning = String(decoding: reasoning.utf8.prefix(closeEnd), as: UTF8.self)
            let shown = String(decoding: reasoning.utf8.dropFirst(before), as: UTF8.self)
            return (shown, .close(closing: reasoning, atEnd: atEnd))
        }
        if thought >= rules.budget { return (piece, forceClose(reasoning)) }
        return (piece, .more)
    }

    private static let closeBytes = Array(Rank1Prompt.thinkClose.utf8)

    /// The byte offset just past the first `</think>` starting at or after byte `from`, if any.
    static func thinkCloseEnd(in text: inout String, from: Int) -> Int? {
        text.withUTF8 { b in
            // A plain scan: Collection.firstRange(of:) is generic here and cost more than the rest of a token's
            // handling (`rank1 bench client`).
            let n = closeBytes.count
            guard from >= 0, b.count >= n else { return nil }
            var i = from
            while i <= b.count - n {
                if b[i] == closeBytes[0] {
                    var k = 1
                    while k < n && b[i + k] == closeBytes[k] { k += 1 }
                    if k == n { return i + n }
                }
                i += 1
            }
            return nil
        }
    }

    /// The generation ended without a token to show (a server's end of stream, the budget reached on the
    /// server's side): the chain is closed by force.
    public mutating func endOfGeneration() -> Step { forceClose(reasoning) }

    /// Forced close: the reasoning cut after its last sentence, then the profile's closing text.
    private mutating func forceClose(_ text: String) -> Step {
        forced = true
        closed = true
        return .close(closing: rules.profile.forcedCloseSuffix(reasoning: text), atEnd: false)
    }

    /// After a verdict: reopens the chain with "\nWait" when a rethink is left (the text before `</think>`
    /// continues), returning the text added; nil when the chain is done.
    public mutating func reopen() -> String? {
        guard rethinks < rules.rethinks else { return nil }
        rethinks += 1
        let before = reasoning.range(of: Rank1Prompt.thinkClose).map { String(reasoning[..<$0.lowerBound]) } ?? reasoning
        reasoning = before + "\nWait"
        thought = 0
        detector.reset()
        tokenEnds.removeAll()
        roundStart = reasoning.utf8.count
        forced = false
        closed = false
        return "\nWait"
    }

    private mutating func intern(_ text: String) -> Int32 {
        if let id = interned[text] { return id }
        let id = Int32(-1 - interned.count)
        interned[text] = id
        return id
    }
}

/// The Rank1 score, read at the position after `</think>`.
public enum Rank1Score {
    /// P(true) / (P(true) + P(false)) = sigmoid(logit_true − logit_false) (logprobs work as logits here).
    public static func of(logitTrue lt: Double, logitFalse lf: Double) -> Double { 1 / (1 + exp(lf - lt)) }
    /// The reference's score when even the forced close gives no verdict.
    public static let fallback = 0.5
}
