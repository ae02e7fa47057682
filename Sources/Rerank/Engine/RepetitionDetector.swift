/// Notices a reasoning chain that loops: the last `window` tokens already occurred, in the same order, earlier
/// in the chain. Small models caught in a loop repeat whole lines, so a dozen tokens is a safe signature;
/// natural reasoning rarely repeats that much verbatim.
struct RepetitionDetector {
    let window: Int
    private var tokens: [Int32] = []
    private var seen: Set<[Int32]> = []

    init(window: Int) { self.window = max(window, 2) }

    /// Adds a token; returns the index (in tokens added so far) where the repeated run starts, if the run
    /// that this token completes was seen before.
    mutating func append(_ token: Int32) -> Int? {
        tokens.append(token)
        guard tokens.count >= window else { return nil }
        let run = Array(tokens[(tokens.count - window)...])
        if seen.contains(run) { return tokens.count - window }
        seen.insert(run)
        return nil
    }

    mutating func reset() {
        tokens.removeAll()
        seen.removeAll()
    }
}
