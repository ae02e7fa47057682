import Foundation

/// What a key does in the result browser.
public enum Action: String, CaseIterable, Codable, Sendable {
    case quit, help, editQuery = "edit_query", editInstruction = "edit_instruction", compare, rerank, cancel
    case nextPane = "next_pane", previousPane = "previous_pane", up, down, pageUp = "page_up", pageDown = "page_down"
    case top, bottom, nextStep = "next_step", previousStep = "previous_step", verdict, more, fewer
    case pickQuery = "pick_query", nextQuery = "next_query", previousQuery = "previous_query"
}

/// Keys → actions, loaded from Assets/keymap.json (names like "q", "Enter", "Esc", "Up", "Ctrl-c", "F1").
public struct KeyMap: Equatable, Sendable {
    public private(set) var bindings: [Action: [Key]]

    public static let standard = KeyMap(bindings: [
        .quit: [.char("q")], .help: [.char("?"), .function(1)], .editQuery: [.char("/")], .editInstruction: [.char("i")],
        .compare: [.char("v")], .rerank: [.enter], .cancel: [.escape], .nextPane: [.tab], .previousPane: [.backTab],
        .up: [.up, .char("k")], .down: [.down, .char("j")], .pageUp: [.pageUp], .pageDown: [.pageDown],
        .top: [.home, .char("g")], .bottom: [.end, .char("G")], .nextStep: [.char("n")], .previousStep: [.char("p")],
        .verdict: [.char("V")], .more: [.char("+"), .char("=")], .fewer: [.char("-")], .pickQuery: [.char("Q")],
        .nextQuery: [.char("]")], .previousQuery: [.char("[")],
    ])

    public func action(for key: Key) -> Action? {
        for (a, keys) in bindings where keys.contains(key) { return a }
        return nil
    }

    /// The keys of an action as the help shows them.
    public func label(_ a: Action) -> String { (bindings[a] ?? []).map(KeyMap.name).joined(separator: " ") }

    /// Reads a JSON object {"action": ["key", …]}; actions it leaves out keep their standard keys.
    /// Throws with the file and the offending entry.
    public static func load(path: String) throws -> KeyMap {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw KeyMapError("\(path): expected a JSON object of action → [keys]")
        }
        var map = KeyMap.standard
        for (name, value) in obj {
            guard let action = Action(rawValue: name) else {
                throw KeyMapError("\(path): unknown action \"\(name)\" (known: \(Action.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let names = value as? [String] else { throw KeyMapError("\(path): \"\(name)\" must be a list of key names") }
            map.bindings[action] = try names.map { n in
                guard let k = parse(n) else { throw KeyMapError("\(path): \"\(name)\": unknown key \"\(n)\"") }
                return k
            }
        }
        return map
    }

    static let named: [String: Key] = [
        "Enter": .enter, "Esc": .escape, "Tab": .tab, "Shift-Tab": .backTab, "Backspace": .backspace, "Delete": .delete,
        "Up": .up, "Down": .down, "Left": .left, "Right": .right, "Home": .home, "End": .end, "PageUp": .pageUp,
        "PageDown": .pageDown, "Space": .char(" "),
    ]

    static func parse(_ n: String) -> Key? {
        if let k = named[n] { return k }
        if n.hasPrefix("Ctrl-"), n.count == 6 { return .ctrl(Character(n.suffix(1).lowercased())) }
        if n.hasPrefix("F"), let i = Int(n.dropFirst()), (1...12).contains(i) { return .function(i) }
        if n.count == 1 { return .char(Character(n)) }
        return nil
    }

    static func name(_ k: Key) -> String {
        if let n = named.first(where: { $0.value == k })?.key { return n }
        switch k {
        case .char(let c): return String(c)
        case .ctrl(let c): return "Ctrl-\(c)"
        case .function(let i): return "F\(i)"
        default: return "?"
        }
    }
}

public struct KeyMapError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
