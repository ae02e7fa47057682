#ifndef R1_LLAMA_H
#define R1_LLAMA_H
// Our own declarations of the part of llama.h (llama.cpp as built by llama-cpp-python 0.3.36) that Rank1
// Explorer uses. The library is loaded at run time with dlopen, so `swift build` never needs it. The
// layouts must match the installed header exactly: Tests/RerankTests/ABITests.swift compares sizeof/offsetof of every field
// against it, and r1_llama_open refuses a library whose default-parameter structs have another size.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int32_t r1_token;
typedef int32_t r1_pos;
typedef int32_t r1_seq_id;

struct r1_model_params {
    void *devices;
    const void *tensor_buft_overrides;
    int32_t n_gpu_layers;
    int32_t split_mode;
    int32_t load_mode;
    int32_t lazy_mode;
    int32_t main_gpu;
    const float *tensor_split;
    void *progress_callback;
    void *progress_callback_user_data;
    const void *kv_overrides;
    bool vocab_only;
    bool check_tensors;
    bool use_extra_bufts;
    bool no_host;
    bool no_alloc;
    bool load_mtp;
};

struct r1_context_params {
    uint32_t n_ctx;
    uint32_t n_batch;
    uint32_t n_ubatch;
    uint32_t n_seq_max;
    uint32_t n_rs_seq;
    uint32_t n_outputs_max;
    uint32_t n_outputs_max_per_seq;
    int32_t n_threads;
    int32_t n_threads_batch;
    int32_t ctx_type;
    int32_t rope_scaling_type;
    int32_t pooling_type;
    int32_t attention_type;
    int32_t flash_attn_type;
    float rope_freq_base;
    float rope_freq_scale;
    float yarn_ext_factor;
    float yarn_attn_factor;
    float yarn_beta_fast;
    float yarn_beta_slow;
    uint32_t yarn_orig_ctx;
    float defrag_thold;
    void *cb_eval;
    void *cb_eval_user_data;
    int32_t type_k;
    int32_t type_v;
    void *abort_callback;
    void *abort_callback_data;
    bool embeddings;
    bool offload_kqv;
    bool no_perf;
    bool op_offload;
    bool swa_full;
    bool kv_unified;
    void *samplers;
    size_t n_samplers;
    void *ctx_other;
};

struct r1_batch {
    int32_t n_tokens;
    r1_token *token;
    float *embd;
    r1_pos *pos;
    int32_t *n_seq_id;
    r1_seq_id **seq_id;
    int8_t *logits;
};

/// The functions used, resolved with dlsym.
struct r1_llama_api {
    void *handle;
    void (*backend_init)(void);
    void (*log_set)(void (*cb)(int level, const char *text, void *user), void *user);
    struct r1_model_params (*model_default_params)(void);
    struct r1_context_params (*context_default_params)(void);
    void *(*model_load_from_file)(const char *path, struct r1_model_params params);
    void (*model_free)(void *model);
    void *(*init_from_model)(void *model, struct r1_context_params params);
    void (*free)(void *ctx);
    const void *(*model_get_vocab)(const void *model);
    int32_t (*model_meta_val_str)(const void *model, const char *key, char *buf, size_t size);
    int32_t (*model_desc)(const void *model, char *buf, size_t size);
    int32_t (*vocab_n_tokens)(const void *vocab);
    bool (*vocab_is_eog)(const void *vocab, r1_token token);
    bool (*vocab_get_add_bos)(const void *vocab);
    int32_t (*tokenize)(const void *vocab, const char *text, int32_t len, r1_token *tokens, int32_t max, bool add_special, bool parse_special);
    int32_t (*token_to_piece)(const void *vocab, r1_token token, char *buf, int32_t len, int32_t lstrip, bool special);
    struct r1_batch (*batch_init)(int32_t n_tokens, int32_t embd, int32_t n_seq_max);
    void (*batch_free)(struct r1_batch batch);
    int32_t (*decode)(void *ctx, struct r1_batch batch);
    float *(*get_logits_ith)(void *ctx, int32_t i);
    void *(*get_memory)(const void *ctx);
    void (*memory_clear)(void *mem, bool data);
    bool (*memory_seq_rm)(void *mem, r1_seq_id seq, r1_pos p0, r1_pos p1);
    void (*memory_seq_cp)(void *mem, r1_seq_id src, r1_seq_id dst, r1_pos p0, r1_pos p1);
    void (*set_n_threads)(void *ctx, int32_t n_threads, int32_t n_threads_batch);
    uint32_t (*n_ctx)(const void *ctx);
    bool (*model_has_decoder)(const void *model);
    bool (*model_is_recurrent)(const void *model);
    bool (*model_is_hybrid)(const void *model);
};

/// dlopens `path` and resolves every function. Returns 0 on success; otherwise writes why into `err`.
/// Then checks, on x86-64, that the library's default-parameter structs are exactly as large as ours
/// (a layout drift between llama.cpp builds must refuse to run, never corrupt memory).
int r1_llama_open(const char *path, struct r1_llama_api *api, char *err, size_t errlen);

/// Bytes the library writes for llama_context_default_params / llama_model_default_params, measured
/// with a canary-filled buffer (0 where the probe is unavailable).
size_t r1_probe_context_params_size(const struct r1_llama_api *api);
size_t r1_probe_model_params_size(const struct r1_llama_api *api);

/// Silences llama.cpp's logging (it writes to stderr, which a terminal UI cannot have).
void r1_llama_quiet(const struct r1_llama_api *api);

#endif
