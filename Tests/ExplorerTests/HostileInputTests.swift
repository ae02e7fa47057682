import Foundation
import Glibc
import Testing

@testable import Explorer
@testable import Rerank

/// What real text and real terminals send: control characters, CRLF, modifiers that merge into a character,
/// pastes, clicks over the editor, sizes where a pane has one line, runs that list a document twice.
@Suite struct HostileInputTests {
    @Test func controlCharactersTakeOneCellAndNeverReachTheTerminal() {
        var sc = Screen(width: 20, height: 1)
        let used = sc.put("a\tb\r\nc\u{1B}[2Jd", x: 0, y: 0)
        #expect(used == 10)
        let cells = (0..<10).map { sc[$0, 0].text }
        #expect(cells == ["a", " ", "b", " ", "c", "\u{FFFD}", "[", "2", "J", "d"], "\(cells)")
        #expect(!cells.joined().unicodeScalars.contains { $0.value < 0x20 })
    }

    /// Our widths are curses' (glibc's wcwidth in a UTF-8 locale): where they differ, curses' cursor and our cells part.
    @Test func widthsAreWcwidths() {
        let utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)
        #expect(utf8 != nil)
        let previous = uselocale(utf8)
        defer {
            uselocale(previous)
            freelocale(utf8)
        }
        // wcswidth is not in Swift's Glibc module (an X/Open declaration): looked up in the C library itself.
        typealias WCSWidth = @convention(c) (UnsafePointer<wchar_t>, Int) -> Int32
        let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "wcswidth")  // RTLD_DEFAULT
        guard let symbol else {
            Issue.record("no wcswidth in the C library")
            return
        }
        let wcswidth = unsafeBitCast(symbol, to: WCSWidth.self)
        for text in ["a", "é", "e\u{301}", "日", "ｱ", "🐱", "❤️", "✔️", "1️⃣", "⚠️", "한", "\u{200B}"] {
            let wide = Array(text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }) + [0]
            let expected = Int(wcswidth(wide, wide.count - 1))
            #expect(TextWidth.of(text) == expected, "\(text): ours \(TextWidth.of(text)), wcswidth \(expected)")
        }
    }

    @Test func crlfTextWrapsIntoLines() {
        let lines = TextWidth.wrap("first line\r\nsecond line", columns: 40).map(\.line)
        #expect(lines == ["first line", "second line"], "\(lines)")
    }

    @Test func pastesAreCleanedAndAModifierKeepsTheCursorAfterIt() {
        var s = Fixture.start()
        Fixture.searched(&s, "ab")
        s.mode = .editingQuery
        s.queryBar.text = "abcd"
        s.queryBar.cursor = 2
        _ = Explorer.update(&s, .paste("x\r\ny\tz\u{1B}"))
        #expect(s.queryBar.text == "abx y zcd" && s.queryBar.cursor == 7, "\(s.queryBar.text) \(s.queryBar.cursor)")
        s.queryBar.text = "abcd"
        s.queryBar.cursor = 2
        for key in ["👍", "\u{1F3FD}"] { _ = Explorer.update(&s, .key(.char(Character(key)))) }
        #expect(s.queryBar.text == "ab👍🏽cd" && s.queryBar.cursor == 3, "\(s.queryBar.text) \(s.queryBar.cursor)")
    }

    @Test func aClickOverTheInstructionEditorKeepsTheDraft() {
        var s = Fixture.start()
        Fixture.searched(&s)
        _ = Explorer.update(&s, .key(.char("i")))
        #expect(s.mode == .editingInstruction)
        _ = Explorer.update(&s, .paste("A relevant passage must"))
        _ = Explorer.update(&s, .click(x: 5, y: 0))
        #expect(s.mode == .editingInstruction && s.editor.draft.hasSuffix("A relevant passage must"))
    }

    @Test func aPasteWhileBrowsingIsANewQueryNotCommandKeys() {
        var s = Fixture.start()
        Fixture.searched(&s)
        let effects = Explorer.update(&s, .paste("quit\nnow"))
        #expect(s.mode == .editingQuery && s.queryBar.text == "quit now" && s.queryBar.cursor == 8)
        #expect(effects.contains { if case .search(let q, _) = $0 { q == "quit now" } else { false } }, "\(effects)")
    }

    /// The list is scrolled (forty rows, the thirtieth selected), so the row above the first one shown exists: a
    /// click on the header must not select it (without the header check it did).
    @Test func clickingThePaneHeaderSelectsNoRow() {
        var s = Fixture.start()
        let many = (0..<40).map { i in ("p\(i)", "Passage \(i)", "Text \(i).") }
        _ = Explorer.update(&s, .searched(query: "q", rows: Fixture.rows(many), milliseconds: 1))
        for _ in 0..<30 { _ = Explorer.update(&s, .key(.down)) }
        let layout = Layout(width: s.width, height: s.height, split: s.split)
        #expect(layout.firstVisible(selected: s.selected, count: 40) > 0, "the list must be scrolled for this test to mean anything")
        let selected = s.selected
        _ = Explorer.update(&s, .click(x: layout.results.x + 2, y: layout.results.y))
        #expect(s.selected == selected)
        _ = Explorer.update(&s, .click(x: layout.results.x + 2, y: layout.results.y + 1))  // the first row shown is selectable
        #expect(s.selected == layout.firstVisible(selected: selected, count: 40))
    }

    @Test func theEditorCursorStandsAfterATypedSpace() {
        var s = Fixture.start()
        Fixture.searched(&s)
        _ = Explorer.update(&s, .key(.char("i")))
        s.editor.draft = ""
        s.editor.cursor = 0
        _ = Explorer.update(&s, .paste("hello"))
        let before = View.render(s).cursor
        _ = Explorer.update(&s, .key(.char(" ")))
        let after = View.render(s).cursor
        #expect(
            before != nil && after != nil && after!.x == before!.x + 1 && after!.y == before!.y,
            "\(String(describing: before)) \(String(describing: after))")
    }

    @Test func thePassageScrollStopsAtItsEnd() {
        var s = Fixture.start()
        Fixture.searched(&s)
        _ = Explorer.update(&s, .key(.tab))
        #expect(s.focus == .passage)
        for _ in 0..<50 { _ = Explorer.update(&s, .key(.pageDown)) }
        let end = s.details.passageScroll
        #expect(end == View.passageMaxScroll(s))
        _ = Explorer.update(&s, .key(.up))
        #expect(s.details.passageScroll == max(0, end - 1))
    }

    /// A pane of one line under a trajectory: every size from 20×6 up draws (it trapped at 80×7).
    @Test func everySmallSizeDrawsWithATrajectory() {
        var s = TrajectoryTests.judged()
        for h in 6...12 {
            for w in [20, 40, 80, 99] {
                _ = Explorer.update(&s, .resize(width: w, height: h))
                #expect(View.render(s).screen.width == w)
            }
        }
    }

    @Test func kendallTauTakesADocumentListedTwiceAtItsFirstPlace() {
        var s = TrajectoryTests.judged()
        s.comparison.previousRanking = s.ranking.map { s.results[$0].id } + [s.results[s.ranking[0]].id]
        #expect(Explorer.kendallTau(s) == 1)
    }
}
