import Rerank
import Retrieval

/// A verdict's attribution, analysed as the index analyses text (so the chain's words meet the passage's as search
/// does), for `--jsonl` and eval traces.
public enum Attributing {
    public static func of(chain: String, passage: Passage, query: String, instruction: String?) -> Attribution {
        let analyzer = EnglishAnalyzer()
        return Attribution.of(
            chain: chain, passage: Rank1Prompt.passageText(title: passage.title, text: passage.text), query: query,
            instruction: instruction.map { Rank1Prompt.filledQuery(query: query, instruction: $0) }, tokens: { analyzer.rawTokens($0) })
    }
}
