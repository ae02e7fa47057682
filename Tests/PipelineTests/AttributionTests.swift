import Testing

@testable import Pipeline
@testable import Rerank

/// Attribution on hand-made chains: which runs of words a chain shares with the passage, the query and the
/// instruction, at exact offsets (Unicode scalars of the texts as shown), and which sentences have no support.
@Suite struct AttributionTests {
    /// The scalar range of the `occurrence`-th `phrase` in `text`, found by hand, for the expectations.
    func at(_ phrase: String, in text: String, occurrence: Int = 0) -> Range<Int> {
        let scalars = Array(text.unicodeScalars)
        let wanted = Array(phrase.unicodeScalars)
        var seen = 0
        for i in 0...(scalars.count - wanted.count) where Array(scalars[i..<i + wanted.count]) == wanted {
            if seen == occurrence { return i..<i + wanted.count }
            seen += 1
        }
        Issue.record("\"\(phrase)\" is not in \"\(text)\"")
        return 0..<0
    }

    func attribution(_ chain: String, passage: String, title: String = "", query: String = "unrelated words", instruction: String? = nil)
        -> Attribution
    {
        Attributing.of(chain: chain, passage: Passage(id: "p", title: title, text: passage), query: query, instruction: instruction)
    }

    @Test func aQuoteIsOneSpanAtItsOffsets() {
        let chain = "The passage says cats sleep on warm windowsills. Relevant."
        let passage = "Cats sleep on warm windowsills in winter."
        let a = attribution(chain, passage: passage)
        #expect(a.spans == [.init(chain: at("cats sleep on warm windowsills", in: chain), source: .passage, range: 0..<30)])
        #expect(at("cats sleep on warm windowsills", in: chain) == 17..<47)
        #expect(a.sentences.map(\.sources) == [[.passage], []])
        // "Relevant." holds one term: it makes no claim, so it is neither supported nor unsupported.
        #expect(a.sentences.map(\.claims) == [true, false])
        #expect(a.grounded == 1)
    }

    @Test func otherInflectionsMeetOnTheirStems() {
        let chain = "It says misfolded protein is degraded by the enzyme."
        let passage = "The enzyme degrades misfolded proteins quickly."
        let a = attribution(chain, passage: passage)
        // "degraded by the enzyme" is the passage's words in another order: not a run.
        #expect(a.spans == [.init(chain: at("misfolded protein", in: chain), source: .passage, range: at("misfolded proteins", in: passage))])
    }

    @Test func theTitleCountsAndOffsetsIndexThePassageAsTheModelSawIt() {
        let chain = "Heat shock proteins are named in the title."
        let a = attribution(chain, passage: "They protect cells.", title: "Heat shock proteins")
        // The passage as shown to the model: title, a space, the text.
        #expect(a.spans == [.init(chain: at("Heat shock proteins", in: chain), source: .passage, range: 0..<19)])
    }

    @Test func repeatedPhrasesTakeTheLongestRunThenTheFirst() {
        let passage = "Heat shock proteins protect cells. Under stress, heat shock proteins accumulate."
        let chain = "Heat shock proteins accumulate under stress. Heat shock proteins again, heat shock proteins."
        let a = attribution(chain, passage: passage)
        #expect(
            a.spans == [
                // Four terms match the second occurrence; three the first.
                .init(
                    chain: at("Heat shock proteins accumulate", in: chain), source: .passage, range: at("heat shock proteins accumulate", in: passage)
                ),
                .init(chain: at("under stress", in: chain), source: .passage, range: at("Under stress", in: passage)),
                // Equal runs: the first occurrence. Repeated in the chain: each time.
                .init(chain: at("Heat shock proteins", in: chain, occurrence: 1), source: .passage, range: at("Heat shock proteins", in: passage)),
                .init(chain: at("heat shock proteins", in: chain, occurrence: 0), source: .passage, range: at("Heat shock proteins", in: passage)),
            ])
    }

    @Test func offsetsCountUnicodeScalarsNotBytes() {
        let passage = "🙂 Les propriétaires de café à Zürich préfèrent des prix naïfs."
        let chain = "Näive? No: Zürich préfèrent — it says «café à Zürich préfèrent»."
        let a = attribution(chain, passage: passage)
        #expect(a.spans.map(\.source) == [.passage, .passage])
        #expect(a.spans.first?.chain == at("Zürich préfèrent", in: chain))
        #expect(a.spans.last?.chain == at("café à Zürich préfèrent", in: chain))
        #expect(a.spans.last?.range == at("café à Zürich préfèrent", in: passage))
        #expect(at("café à Zürich préfèrent", in: passage).lowerBound == 23)  // 27 in UTF-8 bytes
    }

    @Test func aChainQuotingTheQueryOnlyHasNoPassageSupport() {
        let query = "convert video files to animated gif"
        let passage = "apng2gif is a tool for converting APNG images into GIF images."
        let chain = "The passage reports about converting video files to animated GIF format."
        let a = attribution(chain, passage: passage, query: query)
        #expect(a.spans == [.init(chain: at("converting video files to animated GIF", in: chain), source: .query, range: 0..<35)])
        #expect(a.sentences.map(\.sources) == [[.query]])
        #expect(a.spans.allSatisfy { $0.source != .passage })
    }

    @Test func aSentenceWithNoSupportAnywhereIsUnsupported() {
        let chain = "Dogs bark loudly at night. Cats sleep on windowsills. Yes."
        let a = attribution(chain, passage: "Cats sleep on windowsills.")
        #expect(a.sentences.map(\.unsupported) == [true, false, false])
        #expect(a.sentences.map(\.range) == [0..<26, 26..<53, 53..<58])
        #expect(a.grounded == 0.5)
        #expect(attribution("Yes. No.", passage: "Cats.").grounded == nil)
    }

    @Test func theInstructionIsASourceWhereTheQueryIsNot() {
        let query = "video to gif"
        let instruction = "A relevant passage must name a tool for FILL_QUERY_HERE conversion"
        let filled = "A relevant passage must name a tool for video to gif conversion"
        let chain = "It must name a tool for video to gif."
        let a = attribution(chain, passage: "Nothing here.", query: query, instruction: instruction)
        #expect(
            a.spans == [
                // The instruction's run goes on into the query; what the query holds is the query's as well.
                .init(
                    chain: at("must name a tool for video to gif", in: chain), source: .instruction,
                    range: at("must name a tool for video to gif", in: filled)),
                .init(chain: at("video to gif", in: chain), source: .query, range: 0..<12),
            ])
    }

    @Test func sentencesAboutTheTaskAloneMakeNoClaim() {
        let chain = "The query asks if the passage is relevant to the query. So the passage is relevant. Cats purr loudly."
        let a = attribution(chain, passage: "Dogs.")
        #expect(a.sentences.map(\.claims) == [false, false, true])
        #expect(a.sentences.map(\.unsupported) == [false, false, true])
        #expect(a.grounded == 0)
    }
}
