/// The service's OpenAPI 3.1 document, served at `/openapi.json` (ServiceTests checks that it names every route).
enum OpenAPIDocument {
    static let json = #"""
        {
         "openapi": "3.1.0",
         "info": {
          "title": "Rank1 Explorer rerank service",
          "version": "1.0.0",
          "description": "Rank1 (Weller et al. 2025, arXiv 2502.18418) reasoning reranker over Cohere's and Jina's rerank APIs, and BM25 search. Started by `rank1 serve --http [HOST:]PORT`."
         },
         "paths": {
          "/v1/rerank": {
           "post": {
            "summary": "Cohere v1 rerank",
            "requestBody": {
             "required": true,
             "content": {
              "application/json": {
               "schema": {
                "$ref": "#/components/schemas/RerankRequest"
               }
              }
             }
            },
            "responses": {
             "200": {
              "description": "Ranked results (or, with stream, text/event-stream)",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/CohereRerankResponse"
                }
               },
               "text/event-stream": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/E400"
             },
             "401": {
              "$ref": "#/components/responses/E401"
             },
             "413": {
              "$ref": "#/components/responses/E413"
             },
             "429": {
              "$ref": "#/components/responses/E429"
             },
             "502": {
              "$ref": "#/components/responses/E502"
             },
             "503": {
              "$ref": "#/components/responses/E503"
             },
             "504": {
              "$ref": "#/components/responses/E504"
             }
            },
            "security": [
             {},
             {
              "bearer": []
             }
            ]
           }
          },
          "/v2/rerank": {
           "post": {
            "summary": "Cohere v2 rerank",
            "requestBody": {
             "required": true,
             "content": {
              "application/json": {
               "schema": {
                "$ref": "#/components/schemas/RerankRequest"
               }
              }
             }
            },
            "responses": {
             "200": {
              "description": "Ranked results (or, with stream, text/event-stream)",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/CohereRerankResponse"
                }
               },
               "text/event-stream": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/E400"
             },
             "401": {
              "$ref": "#/components/responses/E401"
             },
             "413": {
              "$ref": "#/components/responses/E413"
             },
             "429": {
              "$ref": "#/components/responses/E429"
             },
             "502": {
              "$ref": "#/components/responses/E502"
             },
             "503": {
              "$ref": "#/components/responses/E503"
             },
             "504": {
              "$ref": "#/components/responses/E504"
             }
            },
            "security": [
             {},
             {
              "bearer": []
             }
            ]
           }
          },
          "/rerank": {
           "post": {
            "summary": "Jina rerank",
            "requestBody": {
             "required": true,
             "content": {
              "application/json": {
               "schema": {
                "$ref": "#/components/schemas/RerankRequest"
               }
              }
             }
            },
            "responses": {
             "200": {
              "description": "Ranked results (or, with stream, text/event-stream)",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/JinaRerankResponse"
                }
               },
               "text/event-stream": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/E400"
             },
             "401": {
              "$ref": "#/components/responses/E401"
             },
             "413": {
              "$ref": "#/components/responses/E413"
             },
             "429": {
              "$ref": "#/components/responses/E429"
             },
             "502": {
              "$ref": "#/components/responses/E502"
             },
             "503": {
              "$ref": "#/components/responses/E503"
             },
             "504": {
              "$ref": "#/components/responses/E504"
             }
            },
            "security": [
             {},
             {
              "bearer": []
             }
            ]
           }
          },
          "/v1/search": {
           "post": {
            "summary": "BM25 over the server's index (--index), its first `rerank` hits judged by Rank1",
            "requestBody": {
             "required": true,
             "content": {
              "application/json": {
               "schema": {
                "type": "object",
                "required": [
                 "query"
                ],
                "properties": {
                 "query": {
                  "type": "string"
                 },
                 "top_k": {
                  "type": "integer",
                  "minimum": 1,
                  "default": 10
                 },
                 "rerank": {
                  "type": "integer",
                  "minimum": 0,
                  "default": 0
                 },
                 "instruction": {
                  "type": "string"
                 },
                 "return_documents": {
                  "type": "boolean",
                  "default": true
                 },
                 "return_reasoning": {
                  "type": "boolean",
                  "default": false
                 }
                }
               }
              }
             }
            },
            "responses": {
             "200": {
              "description": "Hits: judged ones by Rank1 score, then the rest in BM25 order; index is the BM25 rank",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object",
                 "properties": {
                  "results": {
                   "type": "array",
                   "items": {
                    "allOf": [
                     {
                      "$ref": "#/components/schemas/RerankResult"
                     },
                     {
                      "type": "object",
                      "properties": {
                       "id": {
                        "type": "string"
                       },
                       "bm25_score": {
                        "type": "number"
                       }
                      }
                     }
                    ]
                   }
                  }
                 }
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/E400"
             },
             "401": {
              "$ref": "#/components/responses/E401"
             },
             "404": {
              "$ref": "#/components/responses/E404"
             },
             "413": {
              "$ref": "#/components/responses/E413"
             },
             "429": {
              "$ref": "#/components/responses/E429"
             },
             "502": {
              "$ref": "#/components/responses/E502"
             },
             "503": {
              "$ref": "#/components/responses/E503"
             },
             "504": {
              "$ref": "#/components/responses/E504"
             }
            },
            "security": [
             {},
             {
              "bearer": []
             }
            ]
           }
          },
          "/health": {
           "get": {
            "summary": "200 when the model is loaded (or a fleet endpoint serves), else 503 with status loading or unavailable",
            "responses": {
             "200": {
              "description": "Ready",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object",
                 "properties": {
                  "status": {
                   "type": "string"
                  },
                  "model": {
                   "type": "string"
                  },
                  "backend": {
                   "type": "string"
                  },
                  "queue_depth": {
                   "type": "integer"
                  }
                 }
                }
               }
              }
             },
             "503": {
              "description": "Not ready",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object",
                 "properties": {
                  "status": {
                   "type": "string"
                  },
                  "message": {
                   "type": "string"
                  }
                 }
                }
               }
              }
             }
            }
           }
          },
          "/metrics": {
           "get": {
            "summary": "Prometheus text: rank1_requests_total, rank1_judgments_total, rank1_reasoning_tokens_total, rank1_decode_tokens_per_second, rank1_queue_depth, rank1_failures_total{kind}, rank1_request_duration_seconds",
            "responses": {
             "200": {
              "description": "Prometheus exposition format",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "/openapi.json": {
           "get": {
            "summary": "This document",
            "responses": {
             "200": {
              "description": "OpenAPI 3.1",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object"
                }
               }
              }
             }
            }
           }
          }
         },
         "components": {
          "responses": {
           "E400": {
            "description": "A malformed body or a wrong or missing field (the message names it)",
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            }
           },
           "E401": {
            "description": "No or a wrong API key (with --api-key-file)",
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            }
           },
           "E413": {
            "description": "Body or document count over the server's limits (--max-body, --max-documents)",
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            }
           },
           "E429": {
            "description": "The judging queue is full (Retry-After)",
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            }
           },
           "E502": {
            "description": "A document could not be judged",
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            }
           },
           "E503": {
            "description": "The model is still loading (Retry-After)",
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            }
           },
           "E504": {
            "description": "The request's deadline passed (--request-deadline)",
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            }
           },
           "E404": {
            "description": "No index (search)",
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            }
           }
          },
          "schemas": {
           "RerankRequest": {
            "type": "object",
            "required": [
             "query",
             "documents"
            ],
            "properties": {
             "query": {
              "type": "string"
             },
             "documents": {
              "type": "array",
              "items": {
               "oneOf": [
                {
                 "type": "string"
                },
                {
                 "type": "object",
                 "required": [
                  "text"
                 ],
                 "properties": {
                  "text": {
                   "type": "string"
                  }
                 }
                }
               ]
              }
             },
             "top_n": {
              "type": "integer",
              "minimum": 1
             },
             "return_documents": {
              "type": "boolean",
              "description": "Default false (Cohere), true (Jina)"
             },
             "model": {
              "type": "string",
              "description": "Accepted and echoed; the server judges with its own model"
             },
             "instruction": {
              "type": "string",
              "description": "Rank1 extension: an instruction template containing FILL_QUERY_HERE, instead of the server's"
             },
             "return_reasoning": {
              "type": "boolean",
              "description": "Rank1 extension: each result carries reasoning, direct_score, forced_close, early_exit, tokens, cached"
             },
             "stream": {
              "type": "boolean",
              "description": "Rank1 extension: server-sent events (direct, token, restarted, verdict, failed, then results or error)"
             }
            }
           },
           "RerankResult": {
            "type": "object",
            "required": [
             "index",
             "relevance_score"
            ],
            "properties": {
             "index": {
              "type": "integer"
             },
             "relevance_score": {
              "type": "number",
              "description": "Rank1: P(true) / (P(true) + P(false)) after the reasoning"
             },
             "document": {
              "type": "object",
              "properties": {
               "text": {
                "type": "string"
               }
              }
             },
             "reasoning": {
              "type": "string"
             },
             "direct_score": {
              "type": "number",
              "description": "The verdict with no reasoning"
             },
             "forced_close": {
              "type": "boolean"
             },
             "early_exit": {
              "type": "boolean"
             },
             "tokens": {
              "type": "integer"
             },
             "cached": {
              "type": "boolean"
             }
            }
           },
           "CohereRerankResponse": {
            "type": "object",
            "properties": {
             "id": {
              "type": "string"
             },
             "results": {
              "type": "array",
              "items": {
               "$ref": "#/components/schemas/RerankResult"
              }
             },
             "meta": {
              "type": "object"
             }
            }
           },
           "JinaRerankResponse": {
            "type": "object",
            "properties": {
             "model": {
              "type": "string"
             },
             "usage": {
              "type": "object",
              "properties": {
               "total_tokens": {
                "type": "integer"
               }
              }
             },
             "results": {
              "type": "array",
              "items": {
               "$ref": "#/components/schemas/RerankResult"
              }
             }
            }
           },
           "Error": {
            "type": "object",
            "required": [
             "message"
            ],
            "properties": {
             "message": {
              "type": "string"
             }
            }
           }
          },
          "securitySchemes": {
           "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "With --api-key-file: Authorization: Bearer KEY"
           }
          }
         }
        }
        """#
}
