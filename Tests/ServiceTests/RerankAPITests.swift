import Foundation
import Testing

@testable import Rerank
@testable import Service

/// The rerank APIs' requests read as Cohere and Jina send them, bad ones refused naming the field, and answers in
/// each dialect's shape.
@Suite struct RerankAPITests {
    func parse(_ json: String, _ dialect: RerankDialect = .cohereV1, max: Int = 10) throws(APIError) -> RerankCall {
        try RerankAPI.parse(Data(json.utf8), dialect: dialect, maxDocuments: max)
    }

    func refusal(_ json: String, max: Int = 10) -> APIError? {
        do {
            _ = try parse(json, max: max)
            return nil
        } catch { return error }
    }

    @Test func readsStringsAndObjects() throws {
        let c = try parse(#"{"query":"q","documents":["a",{"text":"b","title":"x"}],"top_n":1,"model":"rerank-v3.5","max_chunks_per_doc":3}"#)
        #expect(c.documents == ["a", "b"])
        #expect(c.topN == 1 && c.model == "rerank-v3.5" && !c.returnDocuments && !c.returnReasoning && !c.stream)
        // Jina returns documents unless told not to.
        #expect(try parse(#"{"query":"q","documents":["a"]}"#, .jina).returnDocuments)
        #expect(try !parse(#"{"query":"q","documents":["a"],"return_documents":false}"#, .jina).returnDocuments)
    }

    @Test func refusalsNameTheField() {
        #expect(refusal(#"{"query":"q","documents":["a",{"title":"x"}]}"#) == APIError(400, "documents[1].text: missing"))
        #expect(refusal(#"{"query":"q","documents":["a",7]}"#) == APIError(400, "documents[1]: expected a string or an object with text"))
        #expect(refusal(#"{"documents":["a"]}"#) == APIError(400, "query: missing"))
        #expect(refusal(#"{"query":3,"documents":["a"]}"#) == APIError(400, "query: expected a string"))
        #expect(refusal(#"{"query":"q","documents":"a"}"#) == APIError(400, "documents: expected an array"))
        #expect(refusal(#"{"query":"q","documents":["a"],"top_n":"2"}"#) == APIError(400, "top_n: expected an integer"))
        #expect(refusal(#"{"query":"q","documents":["a"],"top_n":0}"#) == APIError(400, "top_n: must be at least 1, got 0"))
        #expect(refusal(#"{"query":"q","documents":["a"],"stream":"yes"}"#) == APIError(400, "stream: expected true or false"))
        #expect(refusal(#"{"query":"  ","documents":["a"]}"#) == APIError(400, "query: empty"))
        #expect(refusal(#"{"query":"q","documents":[]}"#) == APIError(400, "documents: empty (give at least one)"))
        #expect(refusal(#"{"query":"q","documents":["a"],"instruction":"no placeholder"}"#)?.message.hasPrefix("instruction: ") == true)
        #expect(refusal(#"{"query":"q","#)?.message.hasPrefix("malformed JSON") == true)
        #expect(refusal(#"[1,2]"#)?.status == 400)
        #expect(refusal(#"{"query":"q","documents":["a","b","c"]}"#, max: 2)?.status == 413)
    }

    func verdict(_ i: Int, _ score: Double) -> Verdict {
        var v = Verdict(
            passage: i, score: score, probabilityTrue: score, reasoning: "why \(i)", reasoningTokens: 10 + i, forcedClose: i == 1, rethinks: 0,
            truncatedPassage: false, promptTokens: 100, seconds: 1)
        v.direct = DirectVerdict(score: 0.5, probabilityTrue: 0.4)
        return v
    }

    @Test func answersInEachDialect() throws {
        let verdicts = [0: verdict(0, 0.2), 1: verdict(1, 0.9), 2: verdict(2, 0.9)]
        var call = try parse(#"{"query":"q","documents":["a","b","c"],"top_n":2}"#)
        let cohere = RerankAnswer.body(call, verdicts: verdicts, id: "x", model: "m")
        let results = cohere["results"] as! [[String: Any]]
        // By score, the tie in the request's order, top_n of them, no documents unless asked.
        #expect(results.map { $0["index"] as! Int } == [1, 2])
        #expect(results.allSatisfy { $0["document"] == nil && $0["reasoning"] == nil })
        #expect((cohere["meta"] as! [String: Any])["api_version"] as! [String: String] == ["version": "1"])
        call.dialect = .jina
        call.returnDocuments = true
        call.returnReasoning = true
        let jina = RerankAnswer.body(call, verdicts: verdicts, id: "x", model: "m")
        #expect(jina["model"] as? String == "m" && jina["id"] == nil)
        #expect((jina["usage"] as! [String: Int])["total_tokens"] == 3 * 100 + 10 + 11 + 12)
        let first = (jina["results"] as! [[String: Any]])[0]
        #expect(first["document"] as! [String: String] == ["text": "b"])
        #expect(first["reasoning"] as? String == "why 1" && first["forced_close"] as? Bool == true && first["tokens"] as? Int == 11)
        #expect(first["direct_score"] as? Double == 0.5)
    }

    @Test func apiKeyComparison() {
        #expect(APIKey.matches("s3cret", "s3cret"))
        #expect(!APIKey.matches("s3cres", "s3cret"))
        #expect(!APIKey.matches("s3cret-longer", "s3cret"))
        #expect(!APIKey.matches("s3cre", "s3cret"))
        #expect(!APIKey.matches("", "s3cret"))
        // A token that repeats the key is not the key.
        #expect(!APIKey.matches("s3crets3cret", "s3cret"))
    }

    @Test func openAPIDocumentNamesEveryRoute() throws {
        let doc = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as! [String: Any]
        let paths = Set((doc["paths"] as! [String: Any]).keys)
        #expect(paths == ["/v1/rerank", "/v2/rerank", "/rerank", "/v1/search", "/health", "/metrics", "/openapi.json"])
    }
}
