/// Joins token pieces into text. A piece may end inside a multi-byte character; the incomplete tail is
/// held back until the next piece completes it.
struct UTF8Pieces {
    private var pending: [UInt8] = []

    /// Appends bytes; returns the text that is now complete.
    mutating func append(_ bytes: [UInt8]) -> String {
        pending += bytes
        var end = pending.count
        // Back up over an incomplete trailing sequence (at most 3 bytes).
        var i = pending.count - 1
        var back = 0
        while i >= 0 && back < 4 {
            let b = pending[i]
            if b & 0xC0 == 0x80 {
                i -= 1
                back += 1
                continue
            }
            let need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            if pending.count - i < need { end = i }
            break
        }
        let text = String(decoding: pending[0..<end], as: UTF8.self)
        pending.removeSubrange(0..<end)
        return text
    }

    /// Whatever is left (an invalid tail becomes U+FFFD).
    mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }
}
