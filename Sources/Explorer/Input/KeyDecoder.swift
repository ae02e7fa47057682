import Foundation

/// Terminal input bytes → messages: UTF-8 text, control keys, escape sequences (arrows, Home/End, PageUp/Down,
/// Delete, Shift-Tab, F1–F12 in the CSI `~`, CSI letter and SS3 forms, with or without modifiers), Alt+key,
/// SGR and X10 mouse reports, and bracketed paste. Pure: the terminal adapter feeds what it reads and, when no
/// byte follows a lone ESC within a short pause, calls `flush()` to have it read as the Escape key.
public struct KeyDecoder: Sendable {
    private var buffer: [UInt8] = []
    /// When the buffer starts with an unfinished paste: how many of its bytes were already searched for the
    /// paste's end (a long paste arrives in many reads; each resumes the search rather than starting over).
    private var pasteScanned = 0

    private static let pasteStart: [UInt8] = [0x1B, 0x5B, 0x32, 0x30, 0x30, 0x7E]  // ESC [ 2 0 0 ~
    private static let pasteEnd: [UInt8] = [0x1B, 0x5B, 0x32, 0x30, 0x31, 0x7E]  // ESC [ 2 0 1 ~

    public init() {}

    /// True when the bytes held so far may still start a longer sequence (an ESC, a cut sequence or UTF-8
    /// character, an unfinished paste).
    public var hasPending: Bool { !buffer.isEmpty }

    /// Decodes what `bytes` complete; a sequence cut at the end of the input is held for the next call.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Message] {
        buffer.append(contentsOf: bytes)
        return decode(final: false)
    }

    /// The input paused: what is held is read as it stands (a lone ESC is the Escape key). An unfinished paste
    /// stays held, since a long paste arrives in many pieces.
    public mutating func flush() -> [Message] { decode(final: true) }

    /// A paste whose end marker never came (a cut connection, a broken terminal), after a long pause: what
    /// arrived is the paste, and what follows is read as keys again (or Ctrl-c could never be read).
    public mutating func abandonPaste() -> [Message] {
        guard buffer.starts(with: KeyDecoder.pasteStart) else { return flush() }
        let text = KeyDecoder.pasteText(buffer.dropFirst(KeyDecoder.pasteStart.count))
        buffer.removeAll()
        pasteScanned = 0
        return [.paste(text)]
    }

    private mutating func decode(final: Bool) -> [Message] {
        var out: [Message] = []
        var i = 0
        while i < buffer.count {
            guard let (message, used) = next(at: i, final: final) else {  // incomplete: wait for more
                pasteScanned = buffer[i...].starts(with: KeyDecoder.pasteStart) ? buffer.count - i : 0
                break
            }
            if let message { out.append(message) }
            i += used
            pasteScanned = 0
        }
        buffer.removeFirst(i)
        return out
    }

    /// The message at `i` and the bytes it used; nil when the input ends inside it (and `final` does not force it).
    private func next(at i: Int, final: Bool) -> (Message?, Int)? {
        let b = buffer[i]
        switch b {
        case 0x1B: return escape(at: i, final: final)
        case 0x0D, 0x0A: return (.key(.enter), 1)
        case 0x09: return (.key(.tab), 1)
        case 0x7F, 0x08: return (.key(.backspace), 1)
        case 0x00: return (.key(.ctrl(" ")), 1)
        case 0x01...0x1A: return (.key(.ctrl(Character(Unicode.Scalar(b + 0x60)))), 1)
        case 0x1C...0x1F: return (nil, 1)  // Ctrl-\ ] ^ _: not used
        default:
            guard let (c, n) = utf8(at: i, final: final) else { return nil }
            return (.key(.char(c)), n)
        }
    }

    /// One UTF-8 character; invalid bytes become U+FFFD one at a time.
    private func utf8(at i: Int, final: Bool) -> (Character, Int)? {
        let b = buffer[i]
        let length = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 0
        guard length > 0 else { return ("\u{FFFD}", 1) }
        if i + length > buffer.count {
            let continuing = buffer[(i + 1)...].allSatisfy { $0 & 0xC0 == 0x80 }
            return final || !continuing ? ("\u{FFFD}", 1) : nil
        }
        var decoded = ""
        guard buffer[(i + 1)..<(i + length)].allSatisfy({ $0 & 0xC0 == 0x80 }),
            transcode(
                buffer[i..<(i + length)].makeIterator(), from: UTF8.self, to: UTF32.self, stoppingOnError: true,
                into: {
                    decoded.unicodeScalars.append(Unicode.Scalar($0)!)
                }) == false, let c = decoded.first
        else { return ("\u{FFFD}", 1) }
        return (c, length)
    }

    private func escape(at i: Int, final: Bool) -> (Message?, Int)? {
        guard i + 1 < buffer.count else { return final ? (.key(.escape), 1) : nil }
        switch buffer[i + 1] {
        case UInt8(ascii: "["): return csi(at: i, final: final)
        case UInt8(ascii: "O"):
            guard i + 2 < buffer.count else { return final ? (.key(.alt("O")), 2) : nil }
            let key: Key? =
                switch buffer[i + 2] {
                case UInt8(ascii: "A"): .up
                case UInt8(ascii: "B"): .down
                case UInt8(ascii: "C"): .right
                case UInt8(ascii: "D"): .left
                case UInt8(ascii: "H"): .home
                case UInt8(ascii: "F"): .end
                case UInt8(ascii: "M"): .enter
                case UInt8(ascii: "P"): .function(1)
                case UInt8(ascii: "Q"): .function(2)
                case UInt8(ascii: "R"): .function(3)
                case UInt8(ascii: "S"): .function(4)
                default: nil
                }
            return (key.map { .key($0) }, 3)
        case 0x1B: return (.key(.escape), 1)  // ESC ESC: the first is a lone Escape
        default:
            // Alt+key: ESC then the key's own bytes.
            guard let (m, n) = next(at: i + 1, final: final) else { return nil }
            if case .key(.char(let c))? = m { return (.key(.alt(c)), 1 + n) }
            return (m, 1 + n)
        }
    }

    /// CSI: ESC [ parameters final-byte; SGR mouse (ESC [ < b ; x ; y M|m), X10 mouse (ESC [ M b x y), paste.
    private func csi(at i: Int, final: Bool) -> (Message?, Int)? {
        var j = i + 2
        if j < buffer.count, buffer[j] == UInt8(ascii: "M") {  // X10 mouse: three raw bytes follow
            guard j + 3 < buffer.count else { return final ? (nil, buffer.count - i) : nil }
            return (mouse(button: Int(buffer[j + 1]) - 32, x: Int(buffer[j + 2]) - 33, y: Int(buffer[j + 3]) - 33, press: true), 6)
        }
        while j < buffer.count, (0x20...0x3F).contains(buffer[j]) { j += 1 }
        guard j < buffer.count else { return final ? (.key(.alt("[")), 2) : nil }
        let finalByte = buffer[j]
        let params = String(decoding: buffer[(i + 2)..<j], as: UTF8.self)
        let used = j + 1 - i
        if params.hasPrefix("<") {
            let n = params.dropFirst().split(separator: ";").compactMap { Int($0) }
            guard n.count == 3 else { return (nil, used) }
            // Clamped: a malformed report (a huge or negative number) must not overflow.
            let (x, y) = (min(max(n[1], 1), 1 << 20) - 1, min(max(n[2], 1), 1 << 20) - 1)
            return (mouse(button: n[0], x: x, y: y, press: finalByte == UInt8(ascii: "M")), used)
        }
        let numbers = params.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 1 }
        switch finalByte {
        case UInt8(ascii: "A"): return (.key(.up), used)
        case UInt8(ascii: "B"): return (.key(.down), used)
        case UInt8(ascii: "C"): return (.key(.right), used)
        case UInt8(ascii: "D"): return (.key(.left), used)
        case UInt8(ascii: "H"): return (.key(.home), used)
        case UInt8(ascii: "F"): return (.key(.end), used)
        case UInt8(ascii: "Z"): return (.key(.backTab), used)
        case UInt8(ascii: "P"): return (.key(.function(1)), used)
        case UInt8(ascii: "Q"): return (.key(.function(2)), used)
        case UInt8(ascii: "R"): return (.key(.function(3)), used)
        case UInt8(ascii: "S"): return (.key(.function(4)), used)
        case UInt8(ascii: "~"):
            let code = numbers.first ?? 0
            if code == 200 { return paste(from: i + used, start: i) }
            let key: Key? =
                switch code {
                case 1, 7: .home
                case 4, 8: .end
                case 3: .delete
                case 5: .pageUp
                case 6: .pageDown
                case 11...15: .function(code - 10)
                case 17...21: .function(code - 11)
                case 23, 24: .function(code - 12)
                default: nil  // Insert and keys we do not use
                }
            return (key.map { .key($0) }, used)
        default: return (nil, used)  // a sequence we do not use is dropped whole, never typed as text
        }
    }

    /// Bracketed paste: everything up to ESC [ 201 ~, as one message; line ends become "\n".
    private func paste(from start: Int, start escape: Int) -> (Message?, Int)? {
        let end = KeyDecoder.pasteEnd
        // A paste held from an earlier read (at the buffer's start) is searched from where that search stopped.
        let from = escape == 0 ? max(start, pasteScanned - (end.count - 1)) : start
        guard from <= buffer.count, let found = buffer[from...].firstRange(of: end) else { return nil }  // it goes on
        return (.paste(KeyDecoder.pasteText(buffer[start..<found.lowerBound])), found.upperBound - escape)
    }

    /// A paste's bytes as text, its line ends as "\n".
    private static func pasteText(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }

    /// SGR button codes: 0 left, 64/65 the wheel; +32 motion (with the left button held: a drag); the left
    /// button's release (`m`, or X10's button 3) ends a drag. Other buttons are not used.
    private func mouse(button: Int, x: Int, y: Int, press: Bool) -> Message? {
        let x = max(0, x)
        let y = max(0, y)
        switch (button & ~(4 | 8 | 16), press) {  // shift, alt, ctrl held
        case (0, true): return .click(x: x, y: y)
        case (0, false), (3, true): return .release(x: x, y: y)
        case (32, true): return .drag(x: x, y: y)
        case (64, true): return .wheel(up: true)
        case (65, true): return .wheel(up: false)
        default: return nil
        }
    }
}
