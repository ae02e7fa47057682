import Foundation
import NIOCore
import Testing

@testable import Rerank

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Parsers of the remote backend on responses written from the servers' documented formats.
@Suite struct RemoteParsingTests {
    @Test func sseEventsAcrossChunksAndLineEnds() {
        var p = SSEParser()
        p.feed(Array("data: {\"a\":1}\n\nda".utf8))
        #expect(p.take() == ["{\"a\":1}"])
        p.feed(Array("ta: x\r\n: a comment\r\ndata: y\r\n\r\nevent: ping\ndata: [DONE]\n\n".utf8))
        #expect(p.take() == ["x\ny", "[DONE]"])
        p.feed(Array("data: cut".utf8))
        #expect(p.take().isEmpty && p.hasPartialEvent)
    }

    @Test func sseLinesThatAreNotASCII() {
        var p = SSEParser()
        p.feed(Array("data: caf\u{e9} \u{1F600}\n\n".utf8))
        #expect(p.take() == ["caf\u{e9} \u{1F600}"] && !p.invalidUTF8)
        p.feed([100, 97, 116, 97, 58, 32, 0xC3, 0x28, 10, 10])  // "data: " then a broken two-byte sequence
        #expect(p.invalidUTF8)
    }

    @Test func requestHeadsAsServersReadThem() throws {
        var r = URLRequest(url: URL(string: "http://[::1]:8080/v1/x%20y?a=b%20c")!)
        r.setValue("Bearer k", forHTTPHeaderField: "Authorization")
        let t = try HTTPTarget(r)
        let head = t.bytes.getString(at: 0, length: t.bytes.readableBytes)!
        // The address without brackets for the socket, with them in Host; the path and query as encoded.
        #expect(t.host == "::1" && t.port == 8080 && !t.tls)
        #expect(head.hasPrefix("GET /v1/x%20y?a=b%20c HTTP/1.1\r\nHost: [::1]:8080\r\n") && head.contains("\r\nAuthorization: Bearer k\r\n"))
        #expect(head.hasSuffix("\r\n\r\n") && !head.contains("Content-Length"))
        // A name in punycode stays so (SNI, Host, the resolver); the default port is left out of Host.
        var post = URLRequest(url: URL(string: "https://xn--bcher-kva.example/v1/completions")!)
        post.httpMethod = "POST"
        post.httpBody = Data("{}".utf8)
        let p = try HTTPTarget(post)
        let text = p.bytes.getString(at: 0, length: p.bytes.readableBytes)!
        #expect(p.host == "xn--bcher-kva.example" && p.port == 443 && p.tls)
        #expect(text.contains("\r\nHost: xn--bcher-kva.example\r\n") && text.hasSuffix("Content-Length: 2\r\n\r\n{}"))
        #expect(throws: URLError.self) { try HTTPTarget(URLRequest(url: URL(string: "ftp://h/x")!)) }
    }

    @Test func requestBodiesAreTheJSONFoundationReadsBack() throws {
        let prompt = "Query: \"quoted\" back\\slash\n\ttab\r \u{1}\u{1f} caf\u{e9} \u{1F600} </think>"
        let body: [String: Any] = [
            "prompt": prompt, "max_tokens": 256, "temperature": 0, "repeat_penalty": 1.0, "top_p": 0.25, "stream": true,
            "skip_special_tokens": false, "logit_bias": [[Int(151_649), false]] as [Any], "bias": ["151649": -100],
            "stream_options": ["include_usage": true], "n": NSNumber(value: 3), "empty": "",
        ]
        let data = try JSONBody.encode(body)
        let back = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(back["prompt"] as? String == prompt && back["empty"] as? String == "")
        #expect(back["max_tokens"] as? Int == 256 && back["temperature"] as? Int == 0 && back["n"] as? Int == 3)
        #expect(back["repeat_penalty"] as? Double == 1.0 && back["top_p"] as? Double == 0.25)
        let text = String(decoding: data, as: UTF8.self)
        // Booleans stay booleans (not 1/0), control characters are escaped, keys come sorted.
        #expect(text.contains(#""stream":true"#) && text.contains(#""skip_special_tokens":false"#))
        #expect(text.contains(#"[[151649,false]]"#) && text.contains(#"{"151649":-100}"#))
        #expect(text.contains(#"\u0001\u001f"#) && !text.contains("\u{1}"))
        #expect(text.hasPrefix(#"{"bias":"#) && text.hasSuffix(#""top_p":0.25}"#))
        #expect(throws: EncodingError.self) { try JSONBody.encode(["x": Double.nan]) }
    }

    @Test func streamedChunksInTheOpenAIShape() throws {
        // vLLM / llama-cpp-python: {"choices":[{"text":…, "finish_reason":null|"length"|"stop"}]}
        let c = try CompletionJSON.chunk(
            #"{"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":" The passage","logprobs":null,"finish_reason":null}]}"#)
        #expect(c == CompletionJSON.Chunk(text: " The passage", finishReason: nil))
        let end = try CompletionJSON.chunk(#"{"choices":[{"index":0,"text":"","finish_reason":"length","stop_reason":null}]}"#)
        #expect(end?.finishReason == "length")
        #expect(try CompletionJSON.chunk("[DONE]") == nil)
        // vLLM with include_usage: a last chunk with no choices, only usage; an empty list without usage is malformed.
        let usage = try CompletionJSON.chunk(#"{"id":"cmpl-1","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3}}"#)
        // It counts the tokens a stream carried (a "length" before the budget is a context that ran out).
        #expect(usage == CompletionJSON.Chunk(text: "", finishReason: nil, hasChoice: false, completionTokens: 3))
        #expect(c?.hasChoice == true && c?.completionTokens == nil)
        #expect { try CompletionJSON.chunk(#"{"id":"cmpl-1","choices":[]}"#) } throws: { "\($0)".contains("no choices") }
        #expect { try CompletionJSON.chunk(#"{"choices":[{"text":"x""#) } throws: { "\($0)".contains("malformed") }
        #expect { try CompletionJSON.chunk(#"{"error":{"message":"model not found","type":"invalid_request_error"}}"#) } throws: {
            "\($0)" == "server error: model not found"
        }
    }

    @Test func logprobsInTheLegacyOpenAIShape() throws {
        // vLLM's /v1/completions with "logprobs": 20.
        let body =
            #"{"choices":[{"index":0,"text":" true","logprobs":{"text_offset":[120],"token_logprobs":[-0.105],"tokens":[" true"],"top_logprobs":[{" true":-0.105," false":-2.303,"\n":-6.0}]},"finish_reason":"length"}]}"#
        let top = try CompletionJSON.firstTokenTopLogprobs(Data(body.utf8))
        let (score, pTrue, exact) = try CompletionJSON.score(top)
        #expect(exact)
        #expect(abs(score - 1 / (1 + exp(-2.303 + 0.105))) < 1e-12)
        #expect(abs(pTrue - exp(-0.105)) < 1e-12)
    }

    @Test func logprobsInTheLlamaCppServerShape() throws {
        // llama.cpp server: "logprobs": {"content": [{"id", "token", "logprob", "top_logprobs": [{"id", "token", "logprob"}]}]}
        let body =
            #"{"choices":[{"text":" false","logprobs":{"content":[{"id":2416,"token":" false","logprob":-0.4,"bytes":[32,102],"top_logprobs":[{"id":2416,"token":" false","logprob":-0.4},{"id":1847,"token":" true","logprob":-1.2}]}]}}]}"#
        let top = try CompletionJSON.firstTokenTopLogprobs(Data(body.utf8))
        #expect(top == [" false": -0.4, " true": -1.2])
        #expect(abs(try CompletionJSON.score(top).score - 1 / (1 + exp(-0.4 + 1.2))) < 1e-12)
    }

    @Test func missingTokensAreBoundedOrRefused() throws {
        let onlyFalse = try CompletionJSON.score([" false": -0.1, "\n": -3])
        #expect(!onlyFalse.exact && onlyFalse.score < 0.5)
        #expect { try CompletionJSON.score(["\n": -0.1]) } throws: { "\($0)".contains("neither") }
        #expect { try CompletionJSON.firstTokenTopLogprobs(Data(#"{"choices":[{"text":"x"}]}"#.utf8)) } throws: { "\($0)".contains("no logprobs") }
    }

    @Test func errorBodiesGiveTheServerMessage() {
        #expect(
            HTTPStreamer.message(from: Data(#"{"error":{"message":"This model's maximum context length is 4096 tokens"}}"#.utf8))
                == "This model's maximum context length is 4096 tokens")
        #expect(HTTPStreamer.message(from: Data(#"{"detail":"Not Found"}"#.utf8)) == "Not Found")
        #expect(HTTPStreamer.message(from: Data("upstream timeout".utf8)) == "upstream timeout")
    }

    @Test func endpointURLs() {
        let a = RemoteConfiguration(baseURL: URL(string: "http://127.0.0.1:8000/v1")!, model: "m", apiKey: nil)
        let b = RemoteConfiguration(baseURL: URL(string: "http://127.0.0.1:8000/")!, model: "m", apiKey: nil)
        #expect(a.completionsURL.absoluteString == "http://127.0.0.1:8000/v1/completions")
        #expect(b.completionsURL.absoluteString == "http://127.0.0.1:8000/v1/completions")
    }
}
