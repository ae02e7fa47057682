import CLlama
import Foundation
import Testing

@testable import Rerank

/// Our declarations in r1_llama.h against the installed llama.h, field by field, and the load-time probe.
@Suite struct ABITests {
    /// (our struct, llama.h's struct, fields in declaration order)
    static let structs: [(String, String, [String])] = [
        (
            "r1_model_params", "llama_model_params",
            [
                "devices", "tensor_buft_overrides", "n_gpu_layers", "split_mode", "load_mode",
                "lazy_mode", "main_gpu", "tensor_split", "progress_callback", "progress_callback_user_data", "kv_overrides",
                "vocab_only", "check_tensors", "use_extra_bufts", "no_host", "no_alloc", "load_mtp",
            ]
        ),
        (
            "r1_context_params", "llama_context_params",
            [
                "n_ctx", "n_batch", "n_ubatch", "n_seq_max", "n_rs_seq", "n_outputs_max",
                "n_outputs_max_per_seq", "n_threads", "n_threads_batch", "ctx_type", "rope_scaling_type", "pooling_type",
                "attention_type", "flash_attn_type", "rope_freq_base", "rope_freq_scale", "yarn_ext_factor", "yarn_attn_factor",
                "yarn_beta_fast", "yarn_beta_slow", "yarn_orig_ctx", "defrag_thold", "cb_eval", "cb_eval_user_data", "type_k",
                "type_v", "abort_callback", "abort_callback_data", "embeddings", "offload_kqv", "no_perf", "op_offload",
                "swa_full", "kv_unified", "samplers", "n_samplers", "ctx_other",
            ]
        ),
        ("r1_batch", "llama_batch", ["n_tokens", "token", "embd", "pos", "n_seq_id", "seq_id", "logits"]),
    ]

    /// Compiles a program printing sizeof and every field's offset and size, against `header`.
    func layout(header: String, include: String, prefix: (String, String) -> String) throws -> String {
        let dir = RerankFixtures.tempDir()
        var c = "#include <stdio.h>\n#include <stddef.h>\n#include \"\(header)\"\nint main(void) {\n"
        for (ours, theirs, fields) in ABITests.structs {
            let t = prefix(ours, theirs)
            c += "  printf(\"\(ours) size %zu\\n\", sizeof(\(t)));\n"
            for f in fields {
                c += "  printf(\"\(ours).\(f) %zu %zu\\n\", offsetof(\(t), \(f)), sizeof(((\(t) *)0)->\(f)));\n"
            }
        }
        c += "  return 0;\n}\n"
        try c.write(toFile: dir + "/layout.c", atomically: true, encoding: .utf8)
        let r = try RerankFixtures.sh("cc -I\(include) -o \(dir)/layout \(dir)/layout.c && \(dir)/layout")
        #expect(r.status == 0, "\(r.output)")
        return r.output
    }

    @Test func structLayoutsMatchTheInstalledHeader() throws {
        let sp = try #require(RerankFixtures.sitePackages, "no runtime: run scripts/setup.sh")
        let theirs = try layout(header: "llama.h", include: sp + "/include") { _, t in "struct \(t)" }
        let ours = try layout(header: "r1_llama.h", include: RerankFixtures.packageRoot + "/Sources/CLlama/include") { o, _ in "struct \(o)" }
        #expect(theirs.split(separator: "\n").count == ABITests.structs.reduce(0) { $0 + 1 + $1.2.count })
        #expect(ours == theirs)
    }

    @Test func loadTimeProbeAcceptsTheInstalledLibrary() throws {
        var api = r1_llama_api()
        var err = [CChar](repeating: 0, count: 512)
        #expect(r1_llama_open(RerankFixtures.libraryPath, &api, &err, err.count) == 0, "\(cString(err))")
        #expect(r1_probe_context_params_size(&api) == MemoryLayout<r1_context_params>.offset(of: \.ctx_other)! + 8)
    }

    @Test func loadTimeProbeRefusesAnotherABI() throws {
        // A stand-in library whose llama_context_params has one more field (as a later llama.cpp has).
        let dir = RerankFixtures.tempDir()
        let names = [
            "llama_backend_init", "llama_log_set", "llama_model_load_from_file", "llama_model_free", "llama_init_from_model",
            "llama_free", "llama_model_get_vocab", "llama_model_meta_val_str", "llama_model_desc", "llama_vocab_n_tokens",
            "llama_vocab_is_eog", "llama_vocab_get_add_bos", "llama_tokenize", "llama_token_to_piece", "llama_batch_init",
            "llama_batch_free", "llama_decode", "llama_get_logits_ith", "llama_get_memory", "llama_memory_clear",
            "llama_memory_seq_rm", "llama_memory_seq_cp", "llama_set_n_threads", "llama_n_ctx", "llama_model_has_decoder",
            "llama_model_is_recurrent", "llama_model_is_hybrid",
        ]
        var c = "#include \"r1_llama.h\"\n"
        c += "struct wider { struct r1_context_params p; long long moe_cache_size; };\n"
        c += "struct wider llama_context_default_params(void) { struct wider w = {0}; w.moe_cache_size = 7; return w; }\n"
        c += "struct r1_model_params llama_model_default_params(void) { struct r1_model_params p = {0}; p.load_mtp = 1; return p; }\n"
        for n in names { c += "void \(n)(void) {}\n" }
        try c.write(toFile: dir + "/fake.c", atomically: true, encoding: .utf8)
        let r = try RerankFixtures.sh("cc -shared -fPIC -I\(RerankFixtures.packageRoot)/Sources/CLlama/include -o \(dir)/libllama.so \(dir)/fake.c")
        #expect(r.status == 0, "\(r.output)")
        var api = r1_llama_api()
        var err = [CChar](repeating: 0, count: 512)
        #expect(r1_llama_open(dir + "/libllama.so", &api, &err, err.count) == 3)
        #expect(cString(err).contains("has another ABI"))
        // The Swift layer turns it into an error, never a crash.
        #expect(throws: RerankError.self) { try LlamaModel(path: "/nonexistent.gguf", libraryPath: dir + "/libllama.so") }
    }

    @Test func missingLibraryOrModelSaysHowToFixIt() throws {
        #expect { try LlamaModel(path: "/x.gguf", libraryPath: "/nonexistent/libllama.so") } throws: { e in
            "\(e)".contains("run scripts/setup.sh or pass --llama-lib")
        }
        #expect { try LlamaModel(path: "/nonexistent/model.gguf", libraryPath: RerankFixtures.libraryPath) } throws: { e in
            "\(e)".contains("pass --model")
        }
    }
}
