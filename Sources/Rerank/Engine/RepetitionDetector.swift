/// Notices a reasoning chain caught in a loop: its newest tokens repeat, back to back, the block just before
/// them. With a period p (the loop's length in tokens), it fires when the last max(p, window) tokens equal the
/// ones p positions earlier: a whole block written twice in a row, or a short cycle ("A:\n\nA:\n\n…") kept up
/// for `window` tokens. Restating the query in a later sentence is not a loop: the repeated phrase is shorter
/// than the distance between its copies, so it does not fire.
struct RepetitionDetector {
    let window: Int
    let maxPeriod: Int
    private var tokens: [Int32] = []

    init(window: Int, maxPeriod: Int = 96) {
        self.window = max(window, 2)
        self.maxPeriod = maxPeriod
    }

    /// Adds a token; returns the index (in tokens added so far) where the second copy of the repeated block
    /// starts, when this token completes one.
    mutating func append(_ token: Int32) -> Int? {
        tokens.append(token)
        let n = tokens.count
        guard n > window else { return nil }
        for p in 1...min(maxPeriod, n / 2) {
            let span = max(p, window)
            guard span + p <= n else { break }
            var same = true
            for i in (n - span)..<n where tokens[i] != tokens[i - p] {
                same = false
                break
            }
            if same { return n - span }
        }
        return nil
    }

    mutating func reset() { tokens.removeAll() }
}
