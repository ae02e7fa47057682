#include "r1_llama.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define RESOLVE(field, name)                                                        \
    do {                                                                            \
        *(void **)(&api->field) = dlsym(api->handle, name);                        \
        if (!api->field) {                                                          \
            snprintf(err, errlen, "%s lacks the function %s (not a compatible libllama)", path, name); \
            dlclose(api->handle);                                                   \
            api->handle = NULL;                                                     \
            return 2;                                                               \
        }                                                                           \
    } while (0)

// Calls a struct-returning function through its hidden result pointer into a canary-filled buffer and
// returns how many bytes it wrote. On the x86-64 System V ABI a struct larger than 16 bytes is returned
// through a pointer passed as the first argument, so this call is well defined there.
static size_t probe(void *fn) {
#if defined(__x86_64__)
    typedef void *(*sret_fn)(void *);
    unsigned char a[1024], b[1024];
    memset(a, 0xA5, sizeof a);
    memset(b, 0x5A, sizeof b);
    ((sret_fn)fn)(a);
    ((sret_fn)fn)(b);
    size_t last = 0;
    for (size_t i = 0; i < sizeof a; i++)
        if (a[i] != 0xA5 || b[i] != 0x5A) last = i + 1;
    return last;
#else
    (void)fn;
    return 0;
#endif
}

size_t r1_probe_context_params_size(const struct r1_llama_api *api) { return probe((void *)api->context_default_params); }
size_t r1_probe_model_params_size(const struct r1_llama_api *api) { return probe((void *)api->model_default_params); }

static void quiet_log(int level, const char *text, void *user) { (void)level; (void)text; (void)user; }
void r1_llama_quiet(const struct r1_llama_api *api) { api->log_set(quiet_log, NULL); }

// Trailing padding is never written by the callee, so compare against the end of the last field.
#define END_OF(type, field) (offsetof(struct type, field) + sizeof(((struct type *)0)->field))

int r1_llama_open(const char *path, struct r1_llama_api *api, char *err, size_t errlen) {
    memset(api, 0, sizeof *api);
    api->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!api->handle) {
        snprintf(err, errlen, "cannot load %s: %s", path, dlerror());
        return 1;
    }
    RESOLVE(backend_init, "llama_backend_init");
    RESOLVE(log_set, "llama_log_set");
    RESOLVE(model_default_params, "llama_model_default_params");
    RESOLVE(context_default_params, "llama_context_default_params");
    RESOLVE(model_load_from_file, "llama_model_load_from_file");
    RESOLVE(model_free, "llama_model_free");
    RESOLVE(init_from_model, "llama_init_from_model");
    RESOLVE(free, "llama_free");
    RESOLVE(model_get_vocab, "llama_model_get_vocab");
    RESOLVE(model_meta_val_str, "llama_model_meta_val_str");
    RESOLVE(model_desc, "llama_model_desc");
    RESOLVE(vocab_n_tokens, "llama_vocab_n_tokens");
    RESOLVE(vocab_is_eog, "llama_vocab_is_eog");
    RESOLVE(vocab_get_add_bos, "llama_vocab_get_add_bos");
    RESOLVE(tokenize, "llama_tokenize");
    RESOLVE(token_to_piece, "llama_token_to_piece");
    RESOLVE(batch_init, "llama_batch_init");
    RESOLVE(batch_free, "llama_batch_free");
    RESOLVE(decode, "llama_decode");
    RESOLVE(get_logits_ith, "llama_get_logits_ith");
    RESOLVE(get_memory, "llama_get_memory");
    RESOLVE(memory_clear, "llama_memory_clear");
    RESOLVE(memory_seq_rm, "llama_memory_seq_rm");
    RESOLVE(memory_seq_cp, "llama_memory_seq_cp");
    RESOLVE(set_n_threads, "llama_set_n_threads");
    RESOLVE(n_ctx, "llama_n_ctx");
    RESOLVE(model_has_decoder, "llama_model_has_decoder");
    RESOLVE(model_is_recurrent, "llama_model_is_recurrent");
    RESOLVE(model_is_hybrid, "llama_model_is_hybrid");
#if defined(__x86_64__)
    size_t c = r1_probe_context_params_size(api), m = r1_probe_model_params_size(api);
    size_t wc = END_OF(r1_context_params, ctx_other), wm = END_OF(r1_model_params, load_mtp);
    if (c != wc || m != wm) {
        snprintf(err, errlen,
                 "%s has another ABI than this rank1 was built for (llama_context_params: %zu bytes, expected %zu; "
                 "llama_model_params: %zu bytes, expected %zu); install llama-cpp-python==0.3.36 (scripts/setup.sh)",
                 path, c, wc, m, wm);
        dlclose(api->handle);
        api->handle = NULL;
        return 3;
    }
#endif
    return 0;
}
