import Foundation

/// The service's OpenAPI 3.1 document, served at `/openapi.json` (ServiceTests checks that it names every route).
/// Built from parts: the three rerank routes share one operation, and every route its error answers.
enum OpenAPIDocument {
    static let json = String(decoding: RerankAnswer.json(document), as: UTF8.self)

    private static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/\(name)"] }
    private static func schema(_ type: String, _ description: String? = nil) -> [String: Any] {
        description.map { ["type": type, "description": $0] } ?? ["type": type]
    }
    private static func content(_ type: String, _ schema: [String: Any]) -> [String: Any] { [type: ["schema": schema]] }
    private static func errors(_ codes: [String]) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: codes.map { ($0, ref("responses/E\($0)")) })
    }

    private static let errorTexts = [
        "400": "A malformed body or a wrong or missing field (the message names it)", "401": "No or a wrong API key (with --api-key-file)",
        "404": "No index (search)", "413": "Body or document count over the server's limits (--max-body, --max-documents)",
        "429": "The judging queue is full (Retry-After)", "502": "A document could not be judged",
        "503": "The model is still loading (Retry-After)", "504": "The request's deadline passed (--request-deadline)",
    ]

    private static func rerank(_ summary: String, answer: String) -> [String: Any] {
        let ok: [String: Any] = [
            "description": "Ranked results (or, with stream, text/event-stream)",
            "content": content("application/json", ref("schemas/\(answer)")).merging(content("text/event-stream", schema("string"))) { a, _ in a },
        ]
        return [
            "post": [
                "summary": summary, "security": [[:], ["bearer": []]],
                "requestBody": ["required": true, "content": content("application/json", ref("schemas/RerankRequest"))],
                "responses": errors(["400", "401", "413", "429", "502", "503", "504"]).merging(["200": ok]) { a, _ in a },
            ]
        ]
    }

    private static var search: [String: Any] {
        [
            "post": [
                "summary": "BM25 over the server's index (--index), its first `rerank` hits judged by Rank1",
                "security": [[:], ["bearer": []]],
                "requestBody": [
                    "required": true,
                    "content": content(
                        "application/json",
                        [
                            "type": "object", "required": ["query"],
                            "properties": [
                                "query": schema("string"), "top_k": ["type": "integer", "minimum": 1, "default": 10],
                                "rerank": ["type": "integer", "minimum": 0, "default": 0], "instruction": schema("string"),
                                "return_documents": ["type": "boolean", "default": true], "return_reasoning": ["type": "boolean", "default": false],
                            ],
                        ]),
                ],
                "responses": errors(["400", "401", "404", "413", "429", "502", "503", "504"]).merging([
                    "200": [
                        "description": "Hits: judged ones by Rank1 score, then the rest in BM25 order; index is the BM25 rank",
                        "content": content(
                            "application/json",
                            [
                                "type": "object",
                                "properties": [
                                    "results": [
                                        "type": "array",
                                        "items": [
                                            "allOf": [
                                                ref("schemas/RerankResult"),
                                                ["type": "object", "properties": ["id": schema("string"), "bm25_score": schema("number")]],
                                            ]
                                        ],
                                    ]
                                ],
                            ]),
                    ]
                ]) { a, _ in a },
            ]
        ]
    }

    private static func get(_ summary: String, _ responses: [String: Any]) -> [String: Any] {
        ["get": ["summary": summary, "responses": responses]]
    }

    private static var request: [String: Any] {
        [
            "type": "object", "required": ["query", "documents"],
            "properties": [
                "query": schema("string"),
                "documents": [
                    "type": "array",
                    "items": ["oneOf": [schema("string"), ["type": "object", "required": ["text"], "properties": ["text": schema("string")]]]],
                ],
                "top_n": ["type": "integer", "minimum": 1],
                "return_documents": schema("boolean", "Default false (Cohere), true (Jina)"),
                "model": schema("string", "Accepted and echoed; the server judges with its own model"),
                "instruction": schema("string", "Rank1 extension: an instruction template containing FILL_QUERY_HERE, instead of the server's"),
                "return_reasoning": schema(
                    "boolean", "Rank1 extension: each result carries reasoning, direct_score, forced_close, early_exit, tokens, cached"),
                "stream": schema(
                    "boolean", "Rank1 extension: server-sent events (direct, token, restarted, verdict, failed, then results or error)"),
            ],
        ]
    }

    private static var result: [String: Any] {
        [
            "type": "object", "required": ["index", "relevance_score"],
            "properties": [
                "index": schema("integer"),
                "relevance_score": schema("number", "Rank1: P(true) / (P(true) + P(false)) after the reasoning"),
                "document": ["type": "object", "properties": ["text": schema("string")]],
                "reasoning": schema("string"), "direct_score": schema("number", "The verdict with no reasoning"),
                "forced_close": schema("boolean"), "early_exit": schema("boolean"), "tokens": schema("integer"), "cached": schema("boolean"),
            ],
        ]
    }

    private static var results: [String: Any] { ["type": "array", "items": ref("schemas/RerankResult")] }

    static var document: [String: Any] {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "Rank1 Explorer rerank service", "version": "1.0.0",
                "description":
                    "Rank1 (Weller et al. 2025, arXiv 2502.18418) reasoning reranker over Cohere's and Jina's rerank APIs, and BM25 search. Started by `rank1 serve --http [HOST:]PORT`.",
            ],
            "paths": [
                "/v1/rerank": rerank("Cohere v1 rerank", answer: "CohereRerankResponse"),
                "/v2/rerank": rerank("Cohere v2 rerank", answer: "CohereRerankResponse"),
                "/rerank": rerank("Jina rerank", answer: "JinaRerankResponse"),
                "/v1/search": search,
                "/health": get(
                    "200 when the model is loaded (or a fleet endpoint serves), else 503 with status loading or unavailable",
                    [
                        "200": [
                            "description": "Ready",
                            "content": content(
                                "application/json",
                                [
                                    "type": "object",
                                    "properties": [
                                        "status": schema("string"), "model": schema("string"), "backend": schema("string"),
                                        "queue_depth": schema("integer"),
                                    ],
                                ]),
                        ],
                        "503": [
                            "description": "Not ready",
                            "content": content(
                                "application/json", ["type": "object", "properties": ["status": schema("string"), "message": schema("string")]]),
                        ],
                    ]),
                "/metrics": get(
                    "Prometheus text: rank1_requests_total, rank1_judgments_total, rank1_reasoning_tokens_total, rank1_decode_tokens_per_second, rank1_queue_depth, rank1_failures_total{kind}, rank1_request_duration_seconds",
                    ["200": ["description": "Prometheus exposition format", "content": content("text/plain", schema("string"))]]),
                "/openapi.json": get(
                    "This document", ["200": ["description": "OpenAPI 3.1", "content": content("application/json", schema("object"))]]),
            ],
            "components": [
                "responses": Dictionary(
                    uniqueKeysWithValues: errorTexts.map { code, text in
                        ("E\(code)", ["description": text, "content": content("application/json", ref("schemas/Error"))])
                    }),
                "schemas": [
                    "RerankRequest": request, "RerankResult": result,
                    "CohereRerankResponse": [
                        "type": "object", "properties": ["id": schema("string"), "results": results, "meta": schema("object")],
                    ],
                    "JinaRerankResponse": [
                        "type": "object",
                        "properties": [
                            "model": schema("string"), "usage": ["type": "object", "properties": ["total_tokens": schema("integer")]],
                            "results": results,
                        ],
                    ],
                    "Error": ["type": "object", "required": ["message"], "properties": ["message": schema("string")]],
                ],
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer", "description": "With --api-key-file: Authorization: Bearer KEY"]
                ],
            ],
        ]
    }
}
