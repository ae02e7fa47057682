import Testing

@testable import Retrieval

@Suite struct TokenizerTests {
    func tokens(_ s: String) -> [String] {
        var text = s
        var out: [String] = []
        text.withUTF8 { buf in StandardTokenizer().forEachToken(in: buf) { out.append(String(decoding: $0, as: UTF8.self)) } }
        return out
    }

    @Test func wordsNumbersAndPunctuation() {
        #expect(tokens("Hello, world! It's 3.14 today.") == ["Hello", "world", "It's", "3.14", "today"])
        #expect(tokens("U.S.A. e.g. IL-6 p<0.05") == ["U.S.A", "e.g", "IL", "6", "p", "0.05"])
        #expect(tokens("1,000,000 people; a:b foo_bar _x_ ___") == ["1,000,000", "people", "a:b", "foo_bar", "_x_"])
        #expect(tokens("abc123def 12ab x.1") == ["abc123def", "12ab", "x", "1"])
        #expect(tokens("dogs' \"quoted\" (paren)") == ["dogs", "quoted", "paren"])
    }

    @Test func unicodeText() {
        // Han and Hiragana are one token per character; accented Latin and Cyrillic are words; emoji are tokens.
        #expect(tokens("日本語 ひらがな") == ["日", "本", "語", "ひ", "ら", "が", "な"])
        #expect(tokens("café Ünïcödé москва") == ["café", "Ünïcödé", "москва"])
        #expect(tokens("I ❤️ cats") == ["I", "❤️", "cats"])
        #expect(tokens("カタカナ") == ["カタカナ"])
        #expect(tokens("e\u{301}te\u{301}") == ["e\u{301}te\u{301}"])  // combining marks stay with their letter
    }

    @Test func longTokensAreCutAt255() {
        let long = String(repeating: "a", count: 600)
        #expect(tokens(long).map(\.count) == [255, 255, 90])
    }
}

@Suite struct EnglishAnalyzerTests {
    let a = EnglishAnalyzer()

    @Test func pipeline() {
        #expect(a.terms("The dog's toys are in the houses") == ["dog", "toi", "hous"])
        #expect(a.terms("John’s CATS and MICE") == ["john", "cat", "mice"])
        #expect(a.terms("running runs ran") == ["run", "run", "ran"])
        #expect(a.terms("a an and are as at be but by for") == [])
        #expect(a.terms("relational generalization") == ["relat", "gener"])
    }

    @Test func stopwordsAreLucenes33() {
        #expect(EnglishAnalyzer.stopwords.count == 33)
        #expect(a.terms("such their then there these they this will with") == [])
    }

    @Test func highlightRangesPointIntoTheText() {
        let text = "Cats chase the mice"
        let toks = a.rawTokens(text)
        #expect(toks.map(\.range) == [0..<4, 5..<10, 11..<14, 15..<19])
        #expect(toks.map(\.term) == ["cat", "chase", nil, "mice"])
    }
}

@Suite struct PorterStemmerTests {
    let s = PorterStemmer()

    /// Examples from Porter's 1980 paper, step by step, and the C version's two departures.
    @Test(arguments: [
        ("caresses", "caress"), ("ponies", "poni"), ("ties", "ti"), ("caress", "caress"), ("cats", "cat"),
        ("feed", "feed"), ("agreed", "agre"), ("plastered", "plaster"), ("bled", "bled"), ("motoring", "motor"),
        ("sing", "sing"), ("conflated", "conflat"), ("troubled", "troubl"), ("sized", "size"), ("hopping", "hop"),
        ("tanned", "tan"), ("falling", "fall"), ("hissing", "hiss"), ("fizzed", "fizz"), ("failing", "fail"),
        ("filing", "file"), ("happy", "happi"), ("sky", "sky"), ("relational", "relat"), ("conditional", "condit"),
        ("rational", "ration"), ("valenci", "valenc"), ("hesitanci", "hesit"), ("digitizer", "digit"),
        ("conformabli", "conform"), ("radicalli", "radic"), ("differentli", "differ"), ("vileli", "vile"),
        ("analogousli", "analog"), ("vietnamization", "vietnam"), ("predication", "predic"), ("operator", "oper"),
        ("feudalism", "feudal"), ("decisiveness", "decis"), ("hopefulness", "hope"), ("callousness", "callous"),
        ("formaliti", "formal"), ("sensitiviti", "sensit"), ("sensibiliti", "sensibl"), ("triplicate", "triplic"),
        ("formative", "form"), ("formalize", "formal"), ("electriciti", "electr"), ("electrical", "electr"),
        ("hopeful", "hope"), ("goodness", "good"), ("revival", "reviv"), ("allowance", "allow"), ("inference", "infer"),
        ("airliner", "airlin"), ("gyroscopic", "gyroscop"), ("adjustable", "adjust"), ("defensible", "defens"),
        ("irritant", "irrit"), ("replacement", "replac"), ("adjustment", "adjust"), ("dependent", "depend"),
        ("adoption", "adopt"), ("homologou", "homolog"), ("communism", "commun"), ("activate", "activ"),
        ("angulariti", "angular"), ("homologous", "homolog"), ("effective", "effect"), ("bowdlerize", "bowdler"),
        ("probate", "probat"), ("rate", "rate"), ("cease", "ceas"), ("controll", "control"), ("roll", "roll"),
        ("generalizations", "gener"), ("oscillators", "oscil"), ("archaeology", "archaeolog"),
        ("is", "is"), ("as", "as"),
    ])
    func paperExamples(_ pair: (String, String)) {
        #expect(s.stem(pair.0) == pair.1, "\(pair.0)")
    }
}
