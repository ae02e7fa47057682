import Foundation
import Testing

@testable import Explorer
@testable import Rerank

/// Builds states through `Explorer.update` only, as the app does.
enum Fixture {
    static let passages: [(String, String, String)] = [
        ("ytree", "File manager for terminals", "A file manager that separates files from directories. Works on colour terminals."),
        ("mc", "Midnight Commander - a powerful file manager", "GNU Midnight Commander is a text-mode full-screen file manager."),
        ("ranger", "Console file manager with VI key bindings", "Ranger is a file manager with an ncurses interface."),
        ("nnn", "Free, fast, friendly file manager", "nnn is a full-featured terminal file manager."),
        ("vifm", "Flexible vi-like file manager using ncurses", "Vifm is an ncurses based file manager with vi like keybindings."),
    ]

    static func rows(_ list: [(String, String, String)] = passages) -> [ResultRow] {
        list.enumerated().map { i, p in ResultRow(id: p.0, title: p.1, text: p.2, bm25Score: Float(9 - i) * 0.73, bm25Rank: i) }
    }

    static func start(width: Int = 80, height: Int = 24) -> ExplorerState {
        var s = ExplorerState(
            width: width, height: height, corpusName: "debian", corpusSize: 63436, modelName: "SmolLM2-135M",
            backend: "llama.cpp", rerankAvailable: true)
        s.k = 5
        s.keyMap = shippedKeys
        return s
    }

    static let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Assets").path
    static let shippedKeys = try! Fixture.keys(shipped: assets + "/keymap.json", user: nil)

    /// A key map from files, as the executable reads them.
    static func keys(shipped: String, user: String?) throws -> KeyMap {
        func bytes(_ path: String) throws -> (data: Data, source: String) {
            guard let d = FileManager.default.contents(atPath: path) else { throw KeyMapError("\(path): cannot be read") }
            return (d, path)
        }
        return try KeyMap.load(shipped: try bytes(shipped), user: try user.map(bytes))
    }

    static func searched(_ s: inout ExplorerState, _ query: String = "terminal file manager") {
        for c in "/" + query { _ = Explorer.update(&s, .key(.char(c))) }
        _ = Explorer.update(&s, .key(.escape))
        _ = Explorer.update(&s, .searched(query: query, rows: rows(), milliseconds: 1.2))
    }

    static func verdict(_ p: Int, _ score: Double, _ reasoning: String) -> Verdict {
        Verdict(
            passage: p, score: score, probabilityTrue: score / 3, reasoning: reasoning, reasoningTokens: 20, forcedClose: p % 2 == 0,
            rethinks: 0, truncatedPassage: false, promptTokens: 90, seconds: 1.5)
    }

    /// Verdicts for job `generation` (passage i gets scores[i]), then its end.
    static func finish(_ s: inout ExplorerState, generation g: Int, scores: [Double]) {
        for (p, sc) in scores.enumerated() {
            _ = Explorer.update(&s, .engine(generation: g, event: .verdict(verdict(p, sc, "Reasoning \(p)."))))
        }
        let stats = JobStats(
            passages: scores.count, judged: scores.count, failed: 0, decodeTokens: 50, promptTokens: 300, seconds: 1, cancelled: false,
            firstTokenSeconds: 0.2)
        _ = Explorer.update(&s, .engine(generation: g, event: .finished(stats)))
    }

    /// Starts a rerank and feeds engine events for the job it started.
    static func rerank(_ s: inout ExplorerState, scores: [Double], complete: Bool = true) {
        let effects = Explorer.update(&s, .key(.enter))
        guard case .rerank(let g, _, _, let ps)? = effects.first else { fatalError("Enter did not start a rerank: \(effects)") }
        for p in ps.indices { _ = Explorer.update(&s, .engine(generation: g, event: .started(passage: p, truncated: false))) }
        _ = Explorer.update(&s, .engine(generation: g, event: .token(passage: 0, text: "The passage describes a file manager.")))
        _ = Explorer.update(&s, .engine(generation: g, event: .token(passage: 0, text: " It runs in a terminal.")))
        let n = complete ? scores.count : 2
        for (p, sc) in scores.prefix(n).enumerated() {
            _ = Explorer.update(
                &s,
                .engine(
                    generation: g, event: .verdict(verdict(p, sc, "The passage describes a file manager. It runs in a terminal. So it is relevant.")))
            )
        }
        if complete {
            let stats = JobStats(
                passages: scores.count, judged: scores.count, failed: 0, decodeTokens: 100, promptTokens: 400, seconds: 2,
                cancelled: false, firstTokenSeconds: 0.3)
            _ = Explorer.update(&s, .engine(generation: g, event: .finished(stats)))
        }
    }
}

@Suite struct SnapshotTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots").path

    /// Compares the screen's text with Snapshots/<name>.txt. RANK1_RECORD_SNAPSHOTS=1 rewrites the file
    /// (and fails, so a recording is never mistaken for a pass).
    func check(_ s: ExplorerState, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = View.render(s).screen.text + "\n"
        let path = SnapshotTests.dir + "/" + name + ".txt"
        if ProcessInfo.processInfo.environment["RANK1_RECORD_SNAPSHOTS"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            Issue.record("recorded \(name); run again without RANK1_RECORD_SNAPSHOTS", sourceLocation: sourceLocation)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == expected, "snapshot \(name) differs:\n\(text)", sourceLocation: sourceLocation)
    }

    @Test func startScreen() throws { try check(Fixture.start(), "start") }

    @Test func resultsAfterQuery() throws {
        var s = Fixture.start()
        Fixture.searched(&s)
        try check(s, "results")
    }

    @Test func streamingInProgress() throws {
        var s = Fixture.start()
        Fixture.searched(&s)
        Fixture.rerank(&s, scores: [0.2, 0.9, 0.5, 0.7, 0.1], complete: false)
        s.spinner = 3
        try check(s, "streaming")
    }

    @Test func instructionEditAndDiff() throws {
        var s = Fixture.start()
        Fixture.searched(&s)
        Fixture.rerank(&s, scores: [0.2, 0.9, 0.5, 0.7, 0.1])
        _ = Explorer.update(&s, .key(.char("i")))
        for c in "FILL_QUERY_HERE\nA relevant passage must describe a file manager." {
            _ = Explorer.update(&s, c == "\n" ? .key(.enter) : .key(.char(c)))
        }
        try check(s, "instruction-edit")
        let effects = Explorer.update(&s, .key(.ctrl("s")))
        guard case .rerank(let g, _, let instruction, _)? = effects.first else {
            Issue.record("Ctrl-S did not rerank")
            return
        }
        #expect(instruction == "FILL_QUERY_HERE\nA relevant passage must describe a file manager.")
        Fixture.finish(&s, generation: g, scores: [0.8, 0.3, 0.95, 0.1, 0.6])
        try check(s, "instruction-diff")
        _ = Explorer.update(&s, .key(.char("v")))
        try check(s, "ab-view")
    }

    /// A model that is not a Rank1 checkpoint is said to be one plainly, before its first judgment; at 80
    /// columns the status bar keeps the model's name and τ whole; the score column is the sort key, named.
    @Test func notARank1CheckpointIsSaidPlainly() throws {
        var s = Fixture.start()
        s.rank1Checkpoint = false
        s.profileName = "chatml"
        s.fusion = ScoreFusion(weight: 0.3)
        Fixture.searched(&s)
        try check(s, "not-rank1")
        Fixture.rerank(&s, scores: [0.2, 0.9, 0.5, 0.7, 0.1])
        _ = Explorer.update(&s, .key(.char("i")))
        for c in "FILL_QUERY_HERE, a file manager" { _ = Explorer.update(&s, .key(.char(c))) }
        let effects = Explorer.update(&s, .key(.ctrl("s")))
        guard case .rerank(let g, _, _, _)? = effects.first else {
            Issue.record("Ctrl-S did not rerank")
            return
        }
        Fixture.finish(&s, generation: g, scores: [0.8, 0.3, 0.95, 0.1, 0.6])
        try check(s, "fused-scores")
        let screen = View.render(s).screen.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let status = try #require(screen.last)
        let tau = try #require(s.comparison.tau)
        #expect(status.contains("SmolLM2-135M (not Rank1)") && status.contains(String(format: "Kendall τ %.2f", tau)), "\(status)")
        // The column shows the number the list is sorted by: here the fused score, which decreases down the list.
        let keys = s.ranking.compactMap { s.rankScores[$0] }
        #expect(keys == keys.sorted(by: >))
        #expect(screen.contains { $0.contains("fused score") })
        for (pos, row) in s.ranking.enumerated() {
            let line = try #require(screen.first { $0.hasPrefix(String(format: "%3d ", pos + 1)) })
            let key = try #require(s.rankScores[row])
            #expect(line.contains(String(format: "%.3f", key)), "\(line)")
        }
    }

    @Test func helpOverlay() throws {
        var s = Fixture.start()
        Fixture.searched(&s)
        _ = Explorer.update(&s, .key(.char("?")))
        try check(s, "help")
        _ = Explorer.update(&s, .key(.pageDown))
        try check(s, "help-page-2")
    }

    /// At 80×24, scrolling through the help shows every binding of the key map: each action's description next to
    /// its whole key label (key names are never cut).
    @Test func helpShowsEveryBindingWhole() throws {
        var s = Fixture.start()
        Fixture.searched(&s)
        _ = Explorer.update(&s, .key(.char("?")))
        var seen = ""
        for _ in 0...View.helpMaxScroll(s) {
            seen += View.render(s).screen.text + "\n"
            _ = Explorer.update(&s, .key(.down))
        }
        #expect(s.mode == .help)
        let lines = seen.split(separator: "\n").map(String.init)
        for context in KeyContext.allCases {
            #expect(seen.contains(context.title), "no title \(context.title)")
            for a in context.actions {
                let label = s.keyMap.label(a, in: context)
                let what = s.keyMap.description(a, in: context)
                // The row with the description starts with the first key name (a long label continues below).
                let first = String(label.split(separator: " ")[0])
                let row = lines.contains {
                    $0.contains(" " + what) && $0.contains("│ " + first + " ") || $0.contains("│ " + first + "  ") && $0.contains(what)
                }
                #expect(row, "\(context.rawValue).\(a.rawValue): \(label) / \(what) not shown whole")
                for name in label.split(separator: " ") {
                    #expect(seen.contains(" " + name + " ") || seen.contains(" " + name + "\u{2502}"), "key \(name) cut")
                }
            }
        }
        _ = Explorer.update(&s, .key(.char("x")))
        #expect(s.mode == .browse && s.helpScroll == 0)
    }

    @Test func smallTerminal() throws {
        var s = Fixture.start(width: 40, height: 12)
        Fixture.searched(&s)
        Fixture.rerank(&s, scores: [0.2, 0.9, 0.5, 0.7, 0.1])
        try check(s, "small-40x12")
    }

    @Test func wideCharacters() throws {
        var s = Fixture.start(width: 100, height: 20)
        let rows = Fixture.rows(
            [
                ("ja", "日本語のファイルマネージャー", "端末で動くファイルマネージャーです。🐱 emoji and café."),
                ("zh", "终端文件管理器", "一个在终端中运行的文件管理器。"),
            ] + Fixture.passages)
        for c in "/file" { _ = Explorer.update(&s, .key(.char(c))) }
        _ = Explorer.update(&s, .key(.escape))
        _ = Explorer.update(&s, .searched(query: "file", rows: rows, milliseconds: 0.8))
        try check(s, "wide-characters")
        // Every row of the screen is exactly as wide as the terminal.
        let screen = View.render(s).screen
        for y in 0..<screen.height {
            var cols = 0
            for x in 0..<screen.width where !screen[x, y].text.isEmpty { cols += TextWidth.of(screen[x, y].text) }
            #expect(cols == 100)  // a wide character and its continuation cell cover two columns
        }
    }
}

@Suite struct CollectionAndKeyMapTests {
    func collectionState() -> ExplorerState {
        var s = Fixture.start()
        s.picker.collection = [
            CollectionQuery(id: "q1", text: "terminal file manager", relevant: ["mc": 2, "nnn": 1]),
            CollectionQuery(id: "q2", text: "image viewer", relevant: ["feh": 1]),
        ]
        s.mode = .pickingQuery
        return s
    }

    @Test func pickerOpensAQueryAndMarksRelevantPassages() throws {
        var s = collectionState()
        try SnapshotTests().check(s, "picker")
        #expect(Explorer.update(&s, .key(.enter)) == [.search(query: "terminal file manager", k: 5)])
        _ = Explorer.update(&s, .searched(query: "terminal file manager", rows: Fixture.rows(), milliseconds: 1))
        #expect(s.results.filter { ($0.relevant ?? 0) > 0 }.map(\.id) == ["mc", "nnn"])
        // BM25 puts mc (grade 2) 2nd and nnn (grade 1) 4th.
        let ideal = 2 / log2(2.0) + 1 / log2(3.0)
        #expect(abs(s.ndcg10(Array(s.results.indices))! - (2 / log2(3.0) + 1 / log2(5.0)) / ideal) < 1e-12)
        Fixture.rerank(&s, scores: [0.1, 0.9, 0.2, 0.8, 0.3])
        #expect(abs(s.ndcg10(s.ranking)! - 1) < 1e-12)
        try SnapshotTests().check(s, "collection")
        // Editing the query drops the judgments: they belong to the picked query only.
        for c in "/ x" { _ = Explorer.update(&s, .key(.char(c))) }
        _ = Explorer.update(&s, .searched(query: "terminal file manager x", rows: Fixture.rows(), milliseconds: 1))
        #expect(s.picker.current == nil && s.results.allSatisfy { $0.relevant == nil })
    }

    @Test func keyMapFromJSON() throws {
        let dir = NSTemporaryDirectory() + "rank1-keys-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let shipped = Fixture.assets + "/keymap.json"
        func user(_ json: String) throws -> KeyMap {
            try json.write(toFile: dir + "/k.json", atomically: true, encoding: .utf8)
            return try Fixture.keys(shipped: shipped, user: dir + "/k.json")
        }
        func refused(_ json: String, _ says: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(sourceLocation: sourceLocation) { try user(json) } throws: { "\($0)".contains(says) }
        }
        // A user's entries override the shipped ones; the rest stay.
        let m = try user(#"{"browse": {"quit": {"keys": ["x", "Ctrl-q"]}, "rerank": {"keys": ["r"]}}}"#)
        #expect(m.action(for: .char("x"), in: .browse) == .quit && m.action(for: .ctrl("q"), in: .browse) == .quit)
        #expect(m.action(for: .char("q"), in: .browse) == nil && m.action(for: .char("q"), in: .list) == .close)
        #expect(m.action(for: .char("r"), in: .browse) == .rerank && m.action(for: .char("/"), in: .browse) == .editQuery)
        #expect(m.description(.quit, in: .browse) == "quit")
        // A key bound twice in one context is refused, naming both actions; twice in two contexts is fine.
        refused(#"{"browse": {"rerank": {"keys": ["k"]}}}"#, "in browse, k is bound to both rerank and up")
        refused(#"{"browse": {"explode": {"keys": ["x"]}}}"#, "browse.explode: unknown action here")
        refused(#"{"browse": {"open": {"keys": ["x"]}}}"#, "browse.open: unknown action here")
        refused(#"{"nowhere": {}}"#, "unknown context \"nowhere\"")
        refused(#"{"browse": {"quit": {"keys": ["Hyper-x"]}}}"#, "unknown key \"Hyper-x\"")
        refused(#"{"query_editor": {"apply": {"keys": ["a"]}}}"#, "query_editor.apply: \"a\" types text here")
        refused("[1]", "expected a JSON object")
        refused(#"{"browse": {"quit": {"keys": [x]}}}"#, "not valid JSON (Invalid value around character")
        // A base map must bind every action of every context.
        try #"{"ab_view": {"close": {"keys": ["Esc"], "description": "close"}}}"#.write(toFile: dir + "/base.json", atomically: true, encoding: .utf8)
        #expect { try Fixture.keys(shipped: dir + "/base.json", user: nil) } throws: { "\($0)".contains("browse.edit_query is not bound") }
    }

    @Test func everyContextReadsItsKeysFromTheMap() throws {
        // Rebinding an editor's and a list's keys changes what those keys do there.
        let dir = NSTemporaryDirectory() + "rank1-keys-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"{"query_editor": {"apply": {"keys": ["F5"]}}, "list": {"open": {"keys": ["Tab"]}}}"#
            .write(toFile: dir + "/k.json", atomically: true, encoding: .utf8)
        var s = collectionState()
        s.keyMap = try Fixture.keys(shipped: Fixture.assets + "/keymap.json", user: dir + "/k.json")
        #expect(Explorer.update(&s, .key(.enter)) == [] && s.mode == .pickingQuery)
        #expect(Explorer.update(&s, .key(.tab)) == [.search(query: "terminal file manager", k: 5)])
        _ = Explorer.update(&s, .key(.char("/")))
        #expect(Explorer.update(&s, .key(.char("x"))) == [.search(query: "terminal file managerx", k: 5)])
        #expect(Explorer.update(&s, .key(.enter)) == [] && s.mode == .editingQuery)  // Enter no longer applies
        #expect(Explorer.update(&s, .key(.function(5))) == [.search(query: "terminal file managerx", k: 5)] && s.mode == .browse)
    }

    /// Every hint on screen names the keys in force: rebinding "/" and "?" changes "press / to type a query".
    @Test func hintsNameTheKeysInForce() throws {
        let dir = NSTemporaryDirectory() + "rank1-keys-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try
            #"{"browse": {"edit_query": {"keys": ["Ctrl-f"]}, "help": {"keys": ["F1"]}, "rerank": {"keys": ["F9"]}}, "ab_view": {"close": {"keys": ["Esc"]}}}"#
            .write(toFile: dir + "/k.json", atomically: true, encoding: .utf8)
        var s = Fixture.start(width: 100, height: 24)
        var screen = View.render(s).screen.text
        #expect(screen.contains("press / to type a query, ? for help") && screen.contains("│ ? help"))
        s.keyMap = try Fixture.keys(shipped: Fixture.assets + "/keymap.json", user: dir + "/k.json")
        screen = View.render(s).screen.text
        #expect(screen.contains("press Ctrl-f to type a query, F1 for help"), "\(screen)")
        #expect(screen.contains("│ F1 help") && !screen.contains("? help"))
        Fixture.searched(&s)
        #expect(View.render(s).screen.text.contains("F9 reranks"))
        _ = Explorer.update(&s, .key(.function(9)))  // F9 reranks now
        Fixture.finish(&s, generation: s.generation, scores: [0.9, 0.8, 0.7, 0.6, 0.5])
        _ = Explorer.update(&s, .key(.char("i")))
        _ = Explorer.update(&s, .paste("FILL_QUERY_HERE!"))
        _ = Explorer.update(&s, .key(.ctrl("s")))
        Fixture.finish(&s, generation: s.generation, scores: [0.5, 0.6, 0.7, 0.8, 0.9])
        _ = Explorer.update(&s, .key(.char("v")))
        #expect(s.mode == .comparing)
        #expect(View.render(s).screen.text.contains("Esc closes"))
    }
}
