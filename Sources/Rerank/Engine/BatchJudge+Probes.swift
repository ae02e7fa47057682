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
            let full = model.tokenize(s.promptText + p.closing, addSpecial: true)
            var common = 0
            while common < min(full.count, s.cached.count) && full[common] == s.cached[common] { common += 1 }
            if common == full.count { common -= 1 }
            context.remove(sequence: probeSequence)
            context.copy(sequence: s.sequence, to: probeSequence)
            context.remove(sequence: probeSequence, from: Int32(common))
            context.clearBatch()
            for i in common..<full.count {
                context.add(full[i], position: Int32(i), sequence: probeSequence, logits: i == full.count - 1)
            }
            try context.decode()
            let logits = context.logits(context.batchCount - 1)
            let probe = Probe(
                sentence: p.sentence, tokens: p.tokens, characters: p.reasoning.count,
                score: Rank1Score.of(logitTrue: Double(logits[Int(trueToken)]), logitFalse: Double(logits[Int(falseToken)])),
                probabilityTrue: probabilityTrue(logits))
            stats.probes += 1
            stats.probeTokens += full.count - common
            s.trajectory.append(probe)
            emit(.probe(passage: s.passage, probe))
            if let rule = request.earlyExit, rule.fires(s.trajectory) {
                exitEarly(s, lane: p.lane, at: probe, reasoning: p.reasoning)
            }
        }
        pendingProbes.removeAll()
        context.remove(sequence: probeSequence)
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
