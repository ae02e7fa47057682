/// Splits reasoning into the steps the user walks through: sentences (ending in . ! ? followed by space
/// or end) and lines. Each step is a character range of the text.
public enum Sentences {
    public static func split(_ text: String) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let chars = Array(text)
        var start = 0
        var i = 0
        func close(_ end: Int) {
            // Skip empty and whitespace-only steps.
            if chars[start..<end].contains(where: { !$0.isWhitespace }) { out.append(start..<end) }
            start = end
        }
        while i < chars.count {
            let c = chars[i]
            if c == "\n" {
                close(i + 1)
            } else if c == "." || c == "!" || c == "?" {
                if i + 1 == chars.count || chars[i + 1] == " " || chars[i + 1] == "\n" { close(i + 1) }
            }
            i += 1
        }
        if start < chars.count { close(chars.count) }
        return out
    }
}
