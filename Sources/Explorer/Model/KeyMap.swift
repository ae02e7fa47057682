import Foundation
import Retrieval

/// Where a key is pressed: each context has its own bindings (a key may mean different things in two contexts,
/// never two things in one).
public enum KeyContext: String, CaseIterable, Sendable {
    case browse
    case queryEditor = "query_editor"
    case instructionEditor = "instruction_editor"
    case list
    case sideBySide = "side_by_side"
    case abView = "ab_view"
    case help

    public var title: String {
        switch self {
        case .browse: "Browsing results"
        case .queryEditor: "Editing the query"
        case .instructionEditor: "Editing the instruction"
        case .list: "Query lists (--collection, --run)"
        case .sideBySide: "Two runs side by side"
        case .abView: "A/B view"
        case .help: "This help"
        }
    }

    /// The actions this context has, in the order the help lists them. A key map binds every one.
    public var actions: [Action] {
        switch self {
        case .browse:
            [
                .editQuery, .rerank, .cancel, .editInstruction, .compare, .disagreement, .pickQuery, .nextQuery, .previousQuery, .up, .down, .pageUp,
                .pageDown, .top, .bottom, .nextPane, .previousPane, .nextStep, .previousStep, .verdict, .more, .fewer, .widerList,
                .narrowerList, .help, .quit,
            ]
        case .queryEditor:
            [.apply, .close, .left, .right, .lineStart, .lineEnd, .deleteBack, .deleteForward, .deleteToStart, .deleteWord]
        case .instructionEditor:
            [
                .apply, .close, .nextPreset, .history, .clear, .newline, .left, .right, .lineStart, .lineEnd, .deleteBack, .deleteForward,
                .deleteWord,
            ]
        case .list: [.open, .close, .up, .down, .pageUp, .pageDown, .top, .bottom]
        case .sideBySide: [.nextQuery, .previousQuery, .close, .help, .quit]
        case .abView: [.close]
        case .help: [.up, .down, .pageUp, .pageDown, .close]
        }
    }

    /// Printable keys type text in the editors, so no action there may take one.
    var typesText: Bool { self == .queryEditor || self == .instructionEditor }
}

/// What a key does.
public enum Action: String, CaseIterable, Sendable {
    case quit, help
    case editQuery = "edit_query"
    case editInstruction = "edit_instruction"
    case compare, rerank, cancel
    case nextPane = "next_pane"
    case previousPane = "previous_pane"
    case up, down
    case pageUp = "page_up"
    case pageDown = "page_down"
    case top, bottom
    case nextStep = "next_step"
    case previousStep = "previous_step"
    case verdict, more, fewer
    case pickQuery = "pick_query"
    case nextQuery = "next_query"
    case previousQuery = "previous_query"
    case apply, close, open, left, right
    case lineStart = "line_start"
    case lineEnd = "line_end"
    case deleteBack = "delete_back"
    case deleteForward = "delete_forward"
    case deleteToStart = "delete_to_start"
    case deleteWord = "delete_word"
    case newline
    case nextPreset = "next_preset"
    case widerList = "wider_list"
    case narrowerList = "narrower_list"
    case history, clear
    /// With two judges: sort the list by how far they disagree (again: back to the ranking).
    case disagreement
}

/// Keys → actions for every context, with what each does: Assets/keymap.json, optionally overridden by a user's
/// file. Loading refuses a key bound twice in one context (naming both actions), an unknown context, action or key
/// name, a printable key bound in an editor, and a base map that leaves an action unbound.
public struct KeyMap: Equatable, Sendable {
    public struct Binding: Equatable, Sendable {
        public var keys: [Key]
        public var description: String
    }

    public private(set) var bindings: [KeyContext: [Action: Binding]] = [:]
    /// The other way round, per context: each bound key's action (built, and checked for conflicts, by `parse`).
    private var actions: [KeyContext: [Key: Action]] = [:]

    public init() {}

    public func action(for key: Key, in context: KeyContext) -> Action? { actions[context]?[key] }

    /// The keys of an action as the help shows them ("Up k").
    public func label(_ a: Action, in context: KeyContext) -> String {
        (bindings[context]?[a]?.keys ?? []).map(KeyMap.name).joined(separator: " ")
    }

    /// The keys of an action as a hint says them: "Esc or v or q".
    public func alternatives(_ a: Action, in context: KeyContext) -> String {
        let names = (bindings[context]?[a]?.keys ?? []).map(KeyMap.name)
        return names.isEmpty ? "?" : names.joined(separator: " or ")
    }

    public func description(_ a: Action, in context: KeyContext) -> String { bindings[context]?[a]?.description ?? "" }

    /// The first key of an action, for the short hints on screen ("Enter opens").
    /// The keys bound to an action in a context (none when unbound).
    public func keys(_ a: Action, in context: KeyContext) -> [Key] { bindings[context]?[a]?.keys ?? [] }

    public func firstKey(_ a: Action, in context: KeyContext) -> String { bindings[context]?[a]?.keys.first.map(KeyMap.name) ?? "?" }

    /// Reads {"context": {"action": {"keys": ["k", …], "description": "…"}}} over `base` (nil: this is the base map,
    /// and must bind every action of every context). A user's file may give only the entries it changes, and only
    /// their keys. `source` names the file in errors.
    public static func parse(_ data: Data, source: String, over base: KeyMap? = nil) throws -> KeyMap {
        let obj: [String: Any]
        do { obj = try JSONObjectText.object(data) } catch {
            throw KeyMapError("\(source): \(error.message); expected a JSON object of context → {action: {keys, description}}")
        }
        var map = base ?? KeyMap()
        for (contextName, value) in obj.sorted(by: { $0.key < $1.key }) {
            guard let context = KeyContext(rawValue: contextName) else {
                throw KeyMapError(
                    "\(source): unknown context \"\(contextName)\" (known: \(KeyContext.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let entries = value as? [String: Any] else {
                throw KeyMapError("\(source): \"\(contextName)\" must be an object of action → binding")
            }
            for (actionName, entry) in entries.sorted(by: { $0.key < $1.key }) {
                let at = "\(source): \(contextName).\(actionName)"
                guard let action = Action(rawValue: actionName), context.actions.contains(action) else {
                    throw KeyMapError("\(at): unknown action here (\(contextName) has: \(context.actions.map(\.rawValue).joined(separator: ", ")))")
                }
                guard let fields = entry as? [String: Any], let names = fields["keys"] as? [String], !names.isEmpty else {
                    throw KeyMapError("\(at): expected {\"keys\": [key names], \"description\": text}")
                }
                let keys = try names.map { n in
                    guard let k = parse(n) else { throw KeyMapError("\(at): unknown key \"\(n)\"") }
                    if context.typesText, case .char = k { throw KeyMapError("\(at): \"\(n)\" types text here; bind a Ctrl- or named key") }
                    return k
                }
                let description = (fields["description"] as? String) ?? map.bindings[context]?[action]?.description ?? ""
                if description.isEmpty { throw KeyMapError("\(at): needs a description (the help shows it)") }
                map.bindings[context, default: [:]][action] = Binding(keys: keys, description: description)
            }
        }
        for context in KeyContext.allCases {
            let bound = map.bindings[context] ?? [:]
            if let missing = context.actions.first(where: { bound[$0] == nil }) {
                throw KeyMapError("\(source): \(context.rawValue).\(missing.rawValue) is not bound")
            }
            var owner: [Key: Action] = [:]
            for action in context.actions {
                for key in bound[action]!.keys {
                    if let other = owner[key], other != action {
                        throw KeyMapError("\(source): in \(context.rawValue), \(name(key)) is bound to both \(other.rawValue) and \(action.rawValue)")
                    }
                    owner[key] = action
                }
            }
            map.actions[context] = owner
        }
        return map
    }

    /// The shipped map, then a user's entries over it, from their bytes (`source` names each in errors; the files are
    /// read by the executable: nothing here touches a file).
    public static func load(shipped: (data: Data, source: String), user: (data: Data, source: String)?) throws -> KeyMap {
        let base = try parse(shipped.data, source: shipped.source)
        return try user.map { try parse($0.data, source: $0.source, over: base) } ?? base
    }

    static let named: [String: Key] = [
        "Enter": .enter, "Esc": .escape, "Tab": .tab, "Shift-Tab": .backTab, "Backspace": .backspace, "Delete": .delete,
        "Up": .up, "Down": .down, "Left": .left, "Right": .right, "Home": .home, "End": .end, "PageUp": .pageUp,
        "PageDown": .pageDown, "Space": .char(" "),
    ]

    static func parse(_ n: String) -> Key? {
        if let k = named[n] { return k }
        if n.hasPrefix("Ctrl-"), n.count == 6 { return .ctrl(Character(n.suffix(1).lowercased())) }
        if n.hasPrefix("Alt-"), n.count == 5 { return .alt(Character(String(n.suffix(1)))) }
        if n.hasPrefix("F"), let i = Int(n.dropFirst()), (1...12).contains(i) { return .function(i) }
        if n.count == 1 { return .char(Character(n)) }
        return nil
    }

    static func name(_ k: Key) -> String {
        if let n = named.first(where: { $0.value == k })?.key { return n }
        switch k {
        case .char(let c): return String(c)
        case .ctrl(let c): return "Ctrl-\(c)"
        case .alt(let c): return "Alt-\(c)"
        case .function(let i): return "F\(i)"
        default: return "?"
        }
    }
}

public struct KeyMapError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
