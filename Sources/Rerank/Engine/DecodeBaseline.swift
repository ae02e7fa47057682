import Foundation

/// The floor the engine is measured against: a bare llama.cpp batched decode loop with no protocol,
/// no events and no text handling. Shared prefix evaluated once and copied to each sequence, the
/// passages in waves of `parallel`, each wave's prompts in one decode, then `tokens` greedy steps with
/// one decode for all sequences.
public enum DecodeBaseline {
    public struct Result: Sendable {
        public var generatedTokens: Int
        /// Prompt tokens evaluated: the shared prefix once, then each passage's own part.
        public var promptTokens: Int
        public var prefixTokens: Int
        public var seconds: Double
        /// Time to evaluate the first passage's whole prompt alone (prefix + passage), in a fresh context.
        public var firstPromptSeconds: Double
        public var tokensPerSecond: Double { Double(generatedTokens) / seconds }
        /// Tokens and time of the decode steps alone (prompt evaluation excluded).
        public var decodeSeconds: Double
        public var decodeTokensPerSecond: Double { Double(generatedTokens) / decodeSeconds }
        public var promptTokensPerSecond: Double { Double(promptTokens) / (seconds - decodeSeconds) }
    }

    public static func run(
        model: LlamaModel, profile: PromptProfile, query: String, instruction: String?, passages: [Passage],
        parallel: Int, tokens: Int, maxPassageTokens: Int, threads: Int
    ) throws -> Result {
        let filled = Rank1Prompt.filledQuery(query: query, instruction: instruction)
        var prefixText = profile.prefix(filledQuery: filled)
        prefixText.removeLast()
        let prefix = model.tokenize(prefixText, addSpecial: true)
        let perStream = (max(512, prefix.count + 128) + maxPassageTokens + tokens + 8 + 160 + 255) / 256 * 256
        let ctx = try LlamaContext(
            model: model, contextSize: perStream * (parallel + 1), batchCapacity: max(2048, parallel * 600),
            sequences: parallel + 1, threads: threads)
        let suffixes: [[Int32]] = passages.map { p in
            let full = model.tokenize(
                profile.prompt(filledQuery: filled, passage: BatchJudge.fit(p, model: model, maxTokens: maxPassageTokens).text), addSpecial: true)
            return full.starts(with: prefix) ? Array(full[prefix.count...]) : full
        }
        // The first passage's prompt, alone.
        ctx.clearAll()
        var t0 = Date()
        ctx.clearBatch()
        let first = prefix + suffixes[0]
        for (i, t) in first.enumerated() { ctx.add(t, position: Int32(i), sequence: 1, logits: i == first.count - 1) }
        try ctx.decode()
        let firstPrompt = Date().timeIntervalSince(t0)

        ctx.clearAll()
        t0 = Date()
        var promptTokens = prefix.count
        ctx.clearBatch()
        for (i, t) in prefix.enumerated() { ctx.add(t, position: Int32(i), sequence: 0, logits: false) }
        try ctx.decode()
        var generated = 0
        var decodeTime = 0.0
        var next = 0
        while next < passages.count {
            let wave = Array(next..<min(next + parallel, passages.count))
            next += wave.count
            ctx.clearBatch()
            var rows: [Int] = []
            var positions: [Int32] = []
            for (lane, p) in wave.enumerated() {
                let seq = Int32(lane + 1)
                ctx.remove(sequence: seq)
                ctx.copy(sequence: 0, to: seq)
                for (i, t) in suffixes[p].enumerated() {
                    let r = ctx.add(t, position: Int32(prefix.count + i), sequence: seq, logits: i == suffixes[p].count - 1)
                    if i == suffixes[p].count - 1 { rows.append(r) }
                }
                promptTokens += suffixes[p].count
                positions.append(Int32(prefix.count + suffixes[p].count))
            }
            try ctx.decode()
            let decodeStart = Date()
            defer { decodeTime += Date().timeIntervalSince(decodeStart) }
            for _ in 0..<tokens {
                var picked: [Int32] = []
                for r in rows { picked.append(argmax(try ctx.logits(r), model.vocabularySize)) }
                ctx.clearBatch()
                rows = []
                for lane in wave.indices {
                    rows.append(ctx.add(picked[lane], position: positions[lane], sequence: Int32(lane + 1), logits: true))
                    positions[lane] += 1
                }
                try ctx.decode()
                generated += wave.count
            }
        }
        return Result(
            generatedTokens: generated, promptTokens: promptTokens, prefixTokens: prefix.count, seconds: Date().timeIntervalSince(t0),
            firstPromptSeconds: firstPrompt, decodeSeconds: decodeTime)
    }

    static func argmax(_ logits: UnsafeMutablePointer<Float>, _ n: Int) -> Int32 {
        var best = 0
        var bestValue = logits[0]
        for i in 1..<n where logits[i] > bestValue {
            best = i
            bestValue = logits[i]
        }
        return Int32(best)
    }
}
