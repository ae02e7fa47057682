import Foundation

// A thinking lane's step: the next token, and with drafts the guessed tokens greedy decoding confirms.

extension BatchJudge {
    /// A thinking lane's rows: the first gives the next token; while it equals the drafted token fed after it
    /// (and the chain goes on), the next row gives the token after that. The drafted tokens greedy decoding did
    /// not produce leave the cache, so the sequence is exactly what one token per step would have built.
    func think(_ s: Slot, lane: Int, _ rows: [Int]) throws -> Int {
        let draft = Array(s.cached.suffix(s.drafted))
        var kept = 0
        var generated = 0
        var token: Int32 = 0
        var step = ReasoningChain.Step.more
        while true {
            token = argmax(try context.logits(rows[kept]), masking: s.chain.closingMasked)
            let ends = model.isEndOfGeneration(token)
            let text = ends ? "" : s.pieces.append(model.piece(token))
            let shown: String
            (shown, step) = s.chain.append(token: token, text: text, endsGeneration: ends)
            if !ends {
                generated += 1
                stats.decodeTokens += 1
                if stats.firstTokenSeconds == nil { stats.firstTokenSeconds = Date().timeIntervalSince(start) }
            }
            if !shown.isEmpty { emit(.token(passage: s.passage, text: shown)) }
            if request.probing && step == .more, let closing = s.chain.sentenceClose {
                pendingProbes.append(
                    PendingProbe(
                        lane: lane, passage: s.passage, closing: closing,
                        reasoning: String(decoding: s.chain.reasoning.utf8.dropLast(shown.utf8.count), as: UTF8.self),
                        sentence: s.chain.sentences, tokens: s.chain.totalThought - 1))
            }
            guard step == .more, kept < draft.count, draft[kept] == token else { break }
            kept += 1
        }
        stats.thinkingSteps += 1
        if !draft.isEmpty {
            stats.draftedTokens += draft.count
            stats.acceptedDraftTokens += kept
            s.drafting.record(proposed: draft.count, kept: kept)
            jobDrafting.record(proposed: draft.count, kept: kept)
            let rejected = draft.count - kept
            if rejected > 0 {
                s.cached.removeLast(rejected)
                s.position -= Int32(rejected)
                context.remove(sequence: s.sequence, from: s.position)
            }
            s.drafted = 0
        }
        switch step {
        case .more:
            s.feed = [token]
        case .close(_, atEnd: true):
            // `</think>` is the token just generated: evaluating it on the sequence's cache gives the
            // verdict position without re-evaluating anything.
            s.feed = [token]
            s.phase = .closing
        case .close(let closing, atEnd: false):
            // A forced close (or text after `</think>` in one token); the budget's last token is not
            // evaluated on its own: the close evaluates it with the closing text, as a server does
            // after max_tokens (and one decode step is saved).
            reevaluate(s, suffix: closing)
        }
        return generated
    }

    /// Rows this step may spend on drafts: a step stays within 7 rows (see LlamaModel: up to there a token's
    /// logits do not depend on the step's size, and the step's fixed cost dominates), and holds no prompt.
    func draftAllowance() -> Int {
        guard request.draft else { return 0 }
        var rows = 0
        for case let s? in slots {
            if s.phase == .prompt { return 0 }
            rows += s.feed.count
        }
        return max(0, 7 - rows)
    }

    /// Appends a prompt-lookup draft to a thinking lane's feed (its one pending token): as many tokens as the
    /// lane's draft length and `atMost` allow, never past the budget (tokens beyond it would be thrown away).
    /// Returns the tokens drafted.
    func proposeDraft(_ s: Slot, atMost: Int) -> Int {
        guard s.feed.count == 1, s.drafted == 0 else { return 0 }
        let wanted = request.draftTokens > 0 ? min(request.draftTokens, DraftLength.longest) : s.drafting.length(cost: stats.stepCost)
        let count = min(wanted, s.chain.remainingBudget - 1, atMost)
        guard count > 0 else { return 0 }
        let guess = lookup.draft(s.cached + s.feed, count: count)
        s.feed += guess
        s.drafted = guess.count
        return guess.count
    }

    func dropDraft(_ s: Slot) {
        s.feed.removeLast(s.drafted)
        s.drafted = 0
    }
}
