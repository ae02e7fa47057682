import Foundation

// Verdict probes (the score a forced close would give after each sentence) and early exit, which reads them.

extension BatchJudge {
    /// Each pending probe: the lane's sequence forked to the probe sequence (its cache copied, then cut where
    /// `prompt + closing` leaves it), the closing tail evaluated in a decode of its own, so the chains' steps
    /// are exactly those without probes; the next-token logits there give the score. Early exit acts on them.
    func runProbes() throws {
        let started = Date()
        defer { stats.probeSeconds += Date().timeIntervalSince(started) }
        for p in pendingProbes {
            guard let s = slots[p.lane], s.passage == p.passage else { continue }  // the lane finished meanwhile
            let (score, pTrue, fed) = try forkedVerdict(s, closing: p.closing)
            let probe = Probe(sentence: p.sentence, tokens: p.tokens, characters: p.reasoning.count, score: score, probabilityTrue: pTrue)
            stats.probes += 1
            stats.probeTokens += fed
            s.trajectory.append(probe)
            emit(.probe(passage: s.passage, probe))
            if let rule = request.earlyExit, rule.fires(s.trajectory) {
                exitEarly(s, lane: p.lane, at: probe, reasoning: p.reasoning)
            }
        }
        pendingProbes.removeAll()
    }

    /// The verdict `prompt + closing` would give, evaluated on the spare sequence forked from the lane's (its cache
    /// copied, then cut where the text parts from it) in a decode of its own, so the lane's own steps are untouched.
    /// Returns the score, P(" true") and the tokens fed.
    func forkedVerdict(_ s: Slot, closing: String) throws -> (score: Double, pTrue: Double, fed: Int) {
        let full = model.tokenize(s.promptText + closing, addSpecial: true)
        let common = BatchJudge.sharedLength(full, s.cached)
        context.remove(sequence: probeSequence)
        context.copy(sequence: s.sequence, to: probeSequence)
        context.remove(sequence: probeSequence, from: Int32(common))
        defer { context.remove(sequence: probeSequence) }
        let logits = try evaluate(full, from: common, sequence: probeSequence)
        return (verdictScore(logits), probabilityTrue(logits), full.count - common)
    }

    /// Feeds `tokens[from...]` to a sequence in decodes of their own (chunks of a batch) and returns the last
    /// token's logits.
    func evaluate(_ tokens: [Int32], from: Int, sequence: Int32) throws -> UnsafeMutablePointer<Float> {
        var i = from
        while true {
            context.clearBatch()
            let end = min(tokens.count, i + context.batchCapacity)
            for j in i..<end { context.add(tokens[j], position: Int32(j), sequence: sequence, logits: j == tokens.count - 1) }
            try context.decode()
            if end == tokens.count { return try context.logits(context.batchCount - 1) }
            i = end
        }
    }

    /// How many leading tokens two token lists share, leaving at least one of `full` to evaluate (its logits are
    /// the point).
    static func sharedLength(_ full: [Int32], _ cached: [Int32]) -> Int {
        var common = 0
        while common < min(full.count, cached.count) && full[common] == cached[common] { common += 1 }
        return common == full.count ? common - 1 : common
    }

    func verdictScore(_ logits: UnsafeMutablePointer<Float>) -> Double {
        Rank1Score.of(logitTrue: Double(logits[Int(trueToken)]), logitFalse: Double(logits[Int(falseToken)]))
    }

    /// Early exit: the chain stops at the probe's sentence, and that probe (a forced close there) is its verdict.
    func exitEarly(_ s: Slot, lane: Int, at probe: Probe, reasoning: String) {
        let c = s.chain
        var v = Verdict(
            passage: s.passage, score: probe.score, probabilityTrue: probe.probabilityTrue, reasoning: reasoning,
            reasoningTokens: probe.tokens, forcedClose: true, rethinks: c.rethinks, truncatedPassage: s.truncated,
            promptTokens: s.promptTokens.count, seconds: Date().timeIntervalSince(s.started), repetitive: c.repetitive,
            stoppedRepeating: c.stoppedRepeating)
        v.trajectory = s.trajectory
        v.earlyExit = true
        stats.earlyExits += 1
        deliver(v)
        context.remove(sequence: s.sequence)
        slots[lane] = nil
    }
}
