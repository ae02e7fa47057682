import Foundation
import Testing

@testable import Rerank

/// The streaming client's own JSON reader (it parses every token's chunk) against Foundation's, on the
/// shapes servers send and on text that is not JSON.
@Suite struct JSONReaderTests {
    @Test func valuesAndEscapesAsFoundationReadsThem() throws {
        let texts = [
            #"{"a":[1,-2.5e3,0,true,false,null],"b":{"c":"d"}}"#,
            #"  {"text":"tab\there \"quoted\" back\\slash \/ \b\f\n\r"}  "#,
            #"{"t":"\u00e9\u4e2d\ud83d\ude00 and raw é中😀"}"#,
            #"[[],{},"",[[[1]]]]"#,
            #"{"logprobs":{"top_logprobs":[{" true":-0.01,"false":-4.6}]}}"#,
        ]
        for text in texts {
            let ours = try #require(JSON.parse(text), "not read: \(text)")
            let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            #expect(Self.same(ours, theirs), "differs on \(text)")
        }
    }

    @Test func loneSurrogatesBecomeReplacementCharacters() {
        #expect(JSON.parse(#""a\ud800b""#) == .string("a\u{FFFD}b"))
        #expect(JSON.parse(#""\udc00""#) == .string("\u{FFFD}"))
        #expect(JSON.parse(#""\ud83d\u0041""#) == .string("\u{FFFD}A"))
    }

    @Test func textThatIsNotJSONIsRefused() {
        let bad = [
            "", "{", "[1,]", #"{"a" 1}"#, #"{"a":1,}"#, "01", "1.", "-", ".5", "1e", "tru", "nul",
            #""open"#, "\"raw\ncontrol\"", #""\x""#, #""\u12g4""#, "[1] 2", "{\"a\":1}}",
            String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
        ]
        for text in bad { #expect(JSON.parse(text) == nil, "read: \(text.prefix(40))") }
    }

    @Test func skippedFieldsAreCheckedButNotKept() throws {
        let keys = JSON.Keys(["choices", "text", "b"])
        let text = #"{"id":"x\"y","n":[1,{"z":[true,null,-2.5e3]}],"choices":[{"text":"hi","index":0,"q":{}}],"\u0062":1,"c":2}"#
        let kept = try #require(JSON.parse(text, keeping: keys))
        // Only the kept names remain, at every depth (a name written with escapes is read as what it says: "b").
        #expect(kept == JSON.parse(#"{"choices":[{"text":"hi"}],"b":1}"#))
        // What is skipped must still be JSON: every refusal of the full reader holds.
        for bad in [
            #"{"id":01}"#, #"{"id":[1,]}"#, #"{"id":"a\x"}"#, #"{"id":{"a" 1}}"#, #"{"id":tru}"#, "{\"id\":\"raw\ncontrol\"}",
            "{\"id\":" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}",
        ] {
            #expect(JSON.parse(bad) == nil && JSON.parse(bad, keeping: keys) == nil, "read: \(bad.prefix(40))")
        }
    }

    @Test func numbersKeepTheirTextAndReadAsInts() {
        #expect(JSON.parse("[12, -0, 3.0, 1e2, 2.5]")?.array?.map(\.int) == [12, 0, 3, 100, nil])
    }

    private static func same(_ a: JSON, _ b: Any) -> Bool {
        switch a {
        case .null: return b is NSNull
        case .bool(let x): return (b as? Bool) == x
        case .number(let x): return (b as? NSNumber)?.doubleValue == Double(x)
        case .string(let x): return (b as? String) == x
        case .array(let xs):
            guard let ys = b as? [Any], xs.count == ys.count else { return false }
            return zip(xs, ys).allSatisfy { same($0, $1) }
        case .object(let fields):
            guard let dict = b as? [String: Any], dict.count == fields.count else { return false }
            return fields.allSatisfy { k, v in dict[k].map { same(v, $0) } ?? false }
        }
    }
}
