/// The Rank1 prompt and text rules, byte for byte as ../shared/rank1/PROTOCOL.md gives them.
public enum Rank1Prompt {
    public static let marker = "FILL_QUERY_HERE"
    static let head = "Determine if the following passage is relevant to the query. Answer only with 'true' or 'false'.\nQuery: "
    static let passageLabel = "\nPassage: "
    public static let thinkOpen = "<think>"
    public static let thinkClose = "</think>"

    /// `{query}`: the instruction template with its marker replaced by the query, or the bare query.
    public static func filledQuery(query: String, instruction: String?) -> String {
        guard let template = instruction, !template.isEmpty else { return query }
        return template.replacingAll(marker, with: query)
    }

    /// A query with a separate per-query instruction (FollowIR-style sets), joined as the reference does:
    /// `f"{q} {i}".strip()`, or the query alone when the two are equal.
    public static func joined(query: String, instruction: String) -> String {
        query == instruction ? query : (query + " " + instruction).trimmingWhitespace()
    }

    /// `{passage}`: title + " " + text when there is a title, else text.
    public static func passageText(title: String, text: String) -> String {
        title.isEmpty ? text : title + " " + text
    }

    /// A passage cut by tokens ends at its last word boundary when one is near (within 64 characters); a text
    /// without spaces there (Chinese, Japanese, Thai, code, a URL) keeps what fits instead of shrinking to its title.
    public static func cutAtWordEnd(_ kept: String) -> String {
        guard let space = kept.lastIndex(where: \.isWhitespace), kept.distance(from: space, to: kept.endIndex) <= 64 else { return kept }
        return String(kept[..<space])
    }

    /// Everything before the passage: shared by every passage of a job.
    public static func prefix(filledQuery: String) -> String { head + filledQuery + passageLabel }

    /// The whole prompt; it ends right after `<think>`.
    public static func prompt(filledQuery: String, passage: String) -> String {
        prefix(filledQuery: filledQuery) + passage + "\n" + thinkOpen
    }

    /// Forced close: the reasoning cut after its last '.', '!' or '?' (kept whole if it has none), stripped.
    public static func cutReasoning(_ text: String) -> String {
        var cut = Substring(text)
        if let last = text.lastIndex(where: { $0 == "." || $0 == "!" || $0 == "?" }) {
            cut = text[...last]
        }
        return cut.trimmingWhitespace()
    }

    /// What follows the prompt when the reasoning is closed by force.
    public static func forcedCloseSuffix(reasoning: String) -> String {
        "\n" + cutReasoning(reasoning) + "\n" + thinkClose
    }

    /// Checks an instruction template; nil when it is usable.
    public static func validate(instruction: String) -> String? {
        if instruction.trimmingWhitespace().isEmpty { return "the instruction is empty" }
        if !instruction.contains(marker) {
            return "the instruction must contain \(marker) where the query goes"
        }
        return nil
    }
}

extension StringProtocol {
    /// The text without leading and trailing Unicode whitespace.
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

#if canImport(Foundation)
    import Foundation
#endif
