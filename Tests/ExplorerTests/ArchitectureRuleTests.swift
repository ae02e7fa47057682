import Foundation
import Testing

/// ARCHITECTURE.md's rules, read off the source tree: the explorer touches no file, socket, clock or process; only
/// `Sources/rank1/TUI` calls curses; the explorer's state changes only through `Explorer.update`; the two engines do
/// not import each other.
@Suite struct ArchitectureRuleTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources").path

    /// Every Swift file under `folder` (relative to Sources), with its text without comments.
    static func files(_ folder: String) -> [(path: String, code: String)] {
        let root = sources + "/" + folder
        let paths = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".swift") }
        return paths.sorted().map { p in
            let text = (try? String(contentsOfFile: root + "/" + p, encoding: .utf8)) ?? ""
            let code = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
                guard let c = line.range(of: "//") else { return line }
                return line[..<c.lowerBound]
            }.joined(separator: "\n")
            return (folder + "/" + p, code)
        }
    }

    static func offenders(_ folder: String, _ pattern: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return files(folder).compactMap { f in
            let range = NSRange(f.code.startIndex..., in: f.code)
            guard let m = regex.firstMatch(in: f.code, range: range), let r = Range(m.range, in: f.code) else { return nil }
            return "\(f.path): \(f.code[r])"
        }
    }

    @Test func theSourceTreeIsWhereTheRulesLook() {
        #expect(ArchitectureRuleTests.files("Explorer").count > 20 && ArchitectureRuleTests.files("rank1/TUI").count >= 2)
    }

    @Test func theExplorerTouchesNoFileSocketClockOrProcess() {
        let apis = [
            #"\bFileManager\b"#, #"\bFileHandle\b"#, #"\bfopen\("#, #"\bopen\([^)]*O_(RDONLY|WRONLY|RDWR)"#, #"\bsocket\("#, #"\bURLSession\b"#,
            #"\bDate\(\)"#,
            #"\bclock_gettime\b"#, #"\bmonotonic"#, #"\bProcessInfo\b"#, #"\bProcess\("#, #"\bThread\b"#, #"\bDispatchQueue\b"#,
            #"\bsleep\("#, #"\bgetenv\("#, #"\bimport CNcurses\b"#, #"\bimport Glibc\b"#,
        ]
        let found = ArchitectureRuleTests.offenders("Explorer", apis.joined(separator: "|"))
        #expect(found.isEmpty, "\(found)")
    }

    @Test func onlyTheTUICallsCurses() {
        let curses = #"\bimport CNcurses\b|\b(initscr|endwin|wrefresh|refresh|mvaddstr|wmove|newwin|keypad|init_pair)\("#
        for folder in ["Explorer", "Retrieval", "Rerank", "Pipeline", "Service"] {
            #expect(ArchitectureRuleTests.offenders(folder, curses).isEmpty, "\(folder)")
        }
        let outside = ArchitectureRuleTests.files("rank1").filter { !$0.path.hasPrefix("rank1/TUI/") }.map(\.path)
        let found = ArchitectureRuleTests.offenders("rank1", curses).filter { f in outside.contains { f.hasPrefix($0 + ":") } }
        #expect(found.isEmpty, "\(found)")
        #expect(!ArchitectureRuleTests.offenders("rank1/TUI", curses).isEmpty, "the TUI is where curses is called")
    }

    /// Outside `Sources/Explorer`, the explorer's state is only ever passed to `Explorer.update` (and read): no code
    /// there assigns to it or mutates its parts.
    @Test func theStateChangesOnlyThroughUpdate() {
        let mutation = #"\bstate\.[A-Za-z_.\[\]0-9]+\s*(=[^=]|\+=|-=)|\bstate\.[A-Za-z_.]+\.(append|remove|insert)"#
        let found = ArchitectureRuleTests.offenders("rank1", mutation)
        #expect(found.isEmpty, "\(found)")
    }

    @Test func theEnginesDoNotImportEachOther() {
        #expect(ArchitectureRuleTests.offenders("Retrieval", #"\bimport (Rerank|Pipeline|Explorer)\b"#).isEmpty)
        #expect(ArchitectureRuleTests.offenders("Rerank", #"\bimport (Retrieval|Pipeline|Explorer)\b"#).isEmpty)
        #expect(ArchitectureRuleTests.offenders("Explorer", #"\bimport (Pipeline|Service)\b"#).isEmpty)
        #expect(ArchitectureRuleTests.offenders("Service", #"\bimport (Explorer|ArgumentParser)\b"#).isEmpty)
    }
}
