import Testing

@testable import Explorer

/// The key decoder on the byte sequences terminals send (xterm, VT220, rxvt, tmux, screen, the Linux console).
@Suite struct KeyDecoderTests {
    func decode(_ bytes: [UInt8], flush: Bool = true) -> [Message] {
        var d = KeyDecoder()
        var out = d.feed(bytes)
        if flush { out += d.flush() }
        return out
    }
    func decode(_ text: String) -> [Message] { decode(Array(text.utf8)) }
    func keys(_ text: String) -> [Key] { decode(text).compactMap { if case .key(let k) = $0 { k } else { nil } } }

    @Test func textControlKeysAndUTF8() {
        #expect(keys("aZ 9") == [.char("a"), .char("Z"), .char(" "), .char("9")])
        #expect(keys("é中😀") == [.char("é"), .char("中"), .char("😀")])
        #expect(keys("\r\n\t\u{7F}\u{8}") == [.enter, .enter, .tab, .backspace, .backspace])
        #expect(keys("\u{1}\u{3}\u{13}\u{1A}") == [.ctrl("a"), .ctrl("c"), .ctrl("s"), .ctrl("z")])
        // Invalid UTF-8 is a replacement character per bad byte, never a crash or a lost key.
        #expect(decode([0xFF, 0x61, 0xC3]) == [.key(.char("\u{FFFD}")), .key(.char("a")), .key(.char("\u{FFFD}"))])
    }

    @Test func arrowsHomeEndPagesAndFunctionKeysInEveryForm() {
        // CSI (normal cursor mode), SS3 (application mode), with modifiers, VT220 and rxvt/Linux console forms.
        #expect(keys("\u{1B}[A\u{1B}[B\u{1B}[C\u{1B}[D") == [.up, .down, .right, .left])
        #expect(keys("\u{1B}OA\u{1B}OB\u{1B}OC\u{1B}OD\u{1B}OH\u{1B}OF") == [.up, .down, .right, .left, .home, .end])
        #expect(keys("\u{1B}[1;5A\u{1B}[1;2D") == [.up, .left])
        #expect(keys("\u{1B}[H\u{1B}[F\u{1B}[1~\u{1B}[4~\u{1B}[7~\u{1B}[8~") == [.home, .end, .home, .end, .home, .end])
        #expect(keys("\u{1B}[5~\u{1B}[6~\u{1B}[3~\u{1B}[Z") == [.pageUp, .pageDown, .delete, .backTab])
        #expect(keys("\u{1B}OP\u{1B}OQ\u{1B}OR\u{1B}OS") == (1...4).map { .function($0) })
        #expect(keys("\u{1B}[11~\u{1B}[15~\u{1B}[17~\u{1B}[21~\u{1B}[23~\u{1B}[24~") == [1, 5, 6, 10, 11, 12].map { .function($0) })
        #expect(keys("\u{1B}[1;2P\u{1B}[2~x") == [.function(1), .char("x")])  // shifted F1; Insert is not used
        #expect(keys("\u{1B}[99;99X") == [])  // an unknown sequence is dropped whole, not typed
    }

    @Test func altAndTheLoneEscape() {
        #expect(keys("\u{1B}x\u{1B}Q") == [.alt("x"), .alt("Q")])
        #expect(keys("\u{1B}\u{1B}[A") == [.escape, .up])
        // A lone ESC is held until the input pauses: then it is the Escape key.
        var d = KeyDecoder()
        #expect(d.feed([0x1B]).isEmpty && d.hasPending)
        #expect(d.flush() == [.key(.escape)] && !d.hasPending)
        // A sequence cut between two reads is joined, not split into Escape and text.
        #expect(d.feed(Array("\u{1B}[".utf8)).isEmpty)
        #expect(d.feed(Array("5~".utf8)) == [.key(.pageUp)])
        #expect(d.feed([0xE4, 0xB8]).isEmpty)
        #expect(d.feed([0xAD]) == [.key(.char("中"))])
    }

    @Test func mouseReports() {
        #expect(decode("\u{1B}[<0;10;5M\u{1B}[<32;12;5M\u{1B}[<0;12;5m") == [.click(x: 9, y: 4), .drag(x: 11, y: 4), .release(x: 11, y: 4)])
        #expect(decode("\u{1B}[<64;1;1M\u{1B}[<65;1;1M") == [.wheel(up: true), .wheel(up: false)])
        #expect(decode("\u{1B}[<35;3;3M\u{1B}[<2;3;3M\u{1B}[<2;3;3m").isEmpty)  // motion without a button, the right button
        #expect(decode([0x1B, 0x5B, 0x4D, 32, 33 + 4, 33 + 2]) == [.click(x: 4, y: 2)])  // X10
    }

    @Test func bracketedPasteIsOneMessageEvenAcrossReads() {
        #expect(decode("x\u{1B}[200~line 1\r\nline 2\rend\u{1B}[201~y") == [.key(.char("x")), .paste("line 1\nline 2\nend"), .key(.char("y"))])
        // Escape sequences and control bytes inside a paste are text, not keys.
        #expect(decode("\u{1B}[200~a\u{1B}[Ab\u{3}\u{1B}[201~") == [.paste("a\u{1B}[Ab\u{3}")])
        var d = KeyDecoder()
        let big = String(repeating: "ü", count: 5_000)
        let bytes = Array("\u{1B}[200~\(big)\u{1B}[201~".utf8)
        var out: [Message] = []
        for piece in stride(from: 0, to: bytes.count, by: 777) {
            out += d.feed(bytes[piece..<min(piece + 777, bytes.count)])
            out += d.flush()  // a pause inside a paste (or inside a character) does not end it
        }
        #expect(out == [.paste(big)] && !d.hasPending)
    }

    @Test func aPasteWhoseEndNeverComesIsGivenUpAndKeysAreKeysAgain() {
        var d = KeyDecoder()
        #expect(d.feed(Array("\u{1B}[200~half a pas".utf8)).isEmpty && d.flush().isEmpty && d.hasPending)
        #expect(d.abandonPaste() == [.paste("half a pas")] && !d.hasPending)
        #expect(d.feed([0x03]) == [.key(.ctrl("c"))])
    }

    @Test func escThenAKeyTypedAtOnceAreThoseTwoKeysUnlessAltIsBound() {
        // The decoder reads ESC q as Alt-q; the explorer, with no Alt-q binding, takes it as Esc then q.
        var s = Fixture.start()
        Fixture.searched(&s)
        _ = Explorer.update(&s, .key(.char("v")))  // A/B needs two instructions: stays in browse with a message
        _ = Explorer.update(&s, .key(.char("/")))
        #expect(s.mode == .editingQuery)
        #expect(Explorer.update(&s, .key(.alt("q"))) == [.quit] && s.mode == .browse && s.quit)
    }
}
