import Foundation

// Direct verdicts: the score with no reasoning at all, the profile's forced close right after the prompt.

extension BatchJudge {
    /// The closing text of a chain closed before its first token.
    var directClosing: String { profile.forcedCloseSuffix(reasoning: profile.reasoningStart) }

    /// The direct verdicts of the lanes whose prompt came in this step. A lane whose cache holds exactly its prompt
    /// gets the closing tail on its own sequence, right after the prompt, and the tail leaves its cache again after
    /// the decode (the chain's next token lands where it would have); all such lanes share one decode. A lane where
    /// the closing text parts from the cached prompt (or whose chain already moved on) is forked instead.
    func runDirects() throws {
        let started = Date()
        defer { stats.directSeconds += Date().timeIntervalSince(started) }
        context.clearBatch()
        var inPlace: [(lane: Int, row: Int)] = []
        var forked: [Int] = []
        for lane in pendingDirects {
            guard let s = slots[lane] else { continue }
            let full = model.tokenize(s.promptText + directClosing, addSpecial: true)
            let common = BatchJudge.sharedLength(full, s.cached)
            let fits = context.batchCount + full.count - common <= context.batchCapacity
            guard s.phase == .thinking, s.position == Int32(s.cached.count), common == s.cached.count, fits else {
                forked.append(lane)
                continue
            }
            var row = 0
            for i in common..<full.count { row = context.add(full[i], position: Int32(i), sequence: s.sequence, logits: i == full.count - 1) }
            inPlace.append((lane, row))
        }
        pendingDirects.removeAll()
        if !inPlace.isEmpty {
            try context.decode()
            for (lane, row) in inPlace {
                let s = slots[lane]!
                let logits = try context.logits(row)
                context.remove(sequence: s.sequence, from: Int32(s.cached.count))
                noteDirect(s.passage, DirectVerdict(score: verdictScore(logits), probabilityTrue: probabilityTrue(logits)))
            }
        }
        for lane in forked {
            guard let s = slots[lane] else { continue }
            let (score, pTrue, _) = try forkedVerdict(s, closing: directClosing)
            noteDirect(s.passage, DirectVerdict(score: score, probabilityTrue: pTrue))
        }
    }

    /// The direct verdict of one passage still waiting for a lane (the one the user wants most, else the next in
    /// order), read on the spare sequence from a copy of the shared prefix: its prompt is evaluated for this alone,
    /// and again when it gets a lane. Returns whether it evaluated one.
    func directAhead() throws -> Bool {
        // Only passages that wait for a lane to free up (a free lane evaluates its passage's prompt once, for both),
        // and only once every lane's prompt is in (those come first).
        guard request.direct, sharing, prefixReady, !order.isEmpty, slots.allSatisfy({ $0 != nil && $0!.phase != .prompt }) else {
            return false
        }
        let wantedNow = wanted?.value ?? []
        var candidates = wantedNow.filter { order.waiting.contains($0) }
        candidates += order.waiting.filter { !candidates.contains($0) }
        guard let p = candidates.first(where: { directs[$0] == nil && !noDirectAhead.contains($0) }) else { return false }
        // A passage the trace cache answers gets its direct verdict from there when its turn comes.
        if let cache, let key = cacheKey(p), cache.lookup(key, passage: p) != nil {
            noDirectAhead.insert(p)
            return false
        }
        let started = Date()
        defer { stats.directSeconds += Date().timeIntervalSince(started) }
        let (passageText, _) = fittedPassage(request.passages[p])
        let full = model.tokenize(profile.prompt(filledQuery: filled, passage: passageText) + directClosing, addSpecial: true)
        guard full.starts(with: prefixTokens), full.count > prefixTokens.count else {
            noDirectAhead.insert(p)  // it does not share the prefix: its lane reads it
            return false
        }
        context.remove(sequence: probeSequence)
        context.copy(sequence: 0, to: probeSequence)
        defer { context.remove(sequence: probeSequence) }
        let logits = try evaluate(full, from: prefixTokens.count, sequence: probeSequence)
        stats.directPromptTokens += full.count - prefixTokens.count
        noteDirect(p, DirectVerdict(score: verdictScore(logits), probabilityTrue: probabilityTrue(logits)))
        return true
    }
}
