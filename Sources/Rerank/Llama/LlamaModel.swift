import CLlama
import CSupport
import Foundation

/// A NUL-terminated C buffer as a String.
func cString(_ buf: [CChar]) -> String {
    String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// libllama, loaded once per process with dlopen and checked against our declarations.
final class LlamaLibrary: @unchecked Sendable {
    let api: r1_llama_api
    let path: String

    private static let lock = NSLock()
    nonisolated(unsafe) private static var loaded: [String: LlamaLibrary] = [:]

    private init(api: r1_llama_api, path: String) {
        self.api = api
        self.path = path
    }

    static func open(_ path: String) throws -> LlamaLibrary {
        lock.lock()
        defer { lock.unlock() }
        if let lib = loaded[path] { return lib }
        guard FileManager.default.fileExists(atPath: path) else {
            throw RerankError("libllama not found at \(path); run scripts/setup.sh or pass --llama-lib PATH")
        }
        var api = r1_llama_api()
        var err = [CChar](repeating: 0, count: 1024)
        let rc = r1_llama_open(path, &api, &err, err.count)
        if rc != 0 { throw RerankError(cString(err)) }
        r1_llama_quiet(&api)
        api.backend_init()
        let lib = LlamaLibrary(api: api, path: path)
        loaded[path] = lib
        return lib
    }
}

/// A loaded GGUF model and its vocabulary. Used from one thread at a time.
public final class LlamaModel: @unchecked Sendable {
    let lib: LlamaLibrary
    let model: UnsafeMutableRawPointer
    let vocab: UnsafeRawPointer
    public let path: String
    public let architecture: String
    public let name: String
    public let summary: String
    public let vocabularySize: Int
    let addsBOS: Bool

    public init(path: String, libraryPath: String) throws {
        let lib = try LlamaLibrary.open(libraryPath)
        self.lib = lib
        guard FileManager.default.fileExists(atPath: path) else {
            throw RerankError("model not found at \(path); run scripts/setup.sh or pass --model PATH.gguf")
        }
        var params = lib.api.model_default_params()
        params.n_gpu_layers = 0
        // No weight repacking: repacked K-quant kernels switch at 4 rows, so a token's logits would depend on how
        // many tokens share its decode step. Unpacked (with flash attention, llama.cpp's CPU default), a step of up
        // to 7 rows gives each token the logits one token per step gives: what makes drafts exact. Measured here:
        // no slower for the embedded Q4_K_M models; other types are not repacked on x86 anyway.
        params.use_extra_bufts = false
        guard let m = lib.api.model_load_from_file(path, params) else {
            throw RerankError("llama.cpp could not load \(path) (not a GGUF model it supports?)")
        }
        // Chains are cut back (forced closes, rethinks, drafts, the shared prefix): a KV cache must allow it. An
        // encoder has none, and a recurrent or hybrid model's state cannot be cut at a position.
        let kind =
            !lib.api.model_has_decoder(m)
            ? "an encoder-only (embedding or classifier) model"
            : lib.api.model_is_recurrent(m) || lib.api.model_is_hybrid(m) ? "a recurrent or hybrid (state-space) model" : nil
        if let kind {
            lib.api.model_free(m)
            throw RerankError("\(path) is \(kind); Rank1 judges with a decoder-only transformer (e.g. a Rank1 checkpoint)")
        }
        model = m
        guard let v = lib.api.model_get_vocab(m) else {
            lib.api.model_free(m)
            throw RerankError("\(path) has no vocabulary (llama.cpp loaded no tokenizer from it)")
        }
        vocab = v
        self.path = path
        func meta(_ key: String) -> String {
            var buf = [CChar](repeating: 0, count: 512)
            let n = lib.api.model_meta_val_str(m, key, &buf, buf.count)
            return n < 0 ? "" : cString(buf)
        }
        architecture = meta("general.architecture")
        name = meta("general.name")
        var buf = [CChar](repeating: 0, count: 256)
        _ = lib.api.model_desc(m, &buf, buf.count)
        summary = cString(buf)
        vocabularySize = Int(lib.api.vocab_n_tokens(vocab))
        addsBOS = lib.api.vocab_get_add_bos(vocab)
        vocabularyFacts = readVocabularyFacts()
    }

    deinit { lib.api.model_free(model) }

    /// The GGUF's chat template (empty when it has none).
    public private(set) lazy var chatTemplate: String = {
        var buf = [CChar](repeating: 0, count: 1 << 16)
        let n = lib.api.model_meta_val_str(model, "tokenizer.chat_template", &buf, buf.count)
        return n < 0 ? "" : cString(buf)
    }()

    /// What the vocabulary says about judging with this model (see VocabularyFacts).
    /// Computed once at load, so any thread may read it while the engine's thread uses the model.
    public private(set) var vocabularyFacts = VocabularyFacts(
        thinkClose: nil, thinkCloseIsControl: false, trueToken: nil,
        falseToken: nil, chatTemplate: nil)

    private func readVocabularyFacts() -> VocabularyFacts {
        let close = tokenize(Rank1Prompt.thinkClose, addSpecial: false)
        let single = close.count == 1 && piece(close[0]) == Array(Rank1Prompt.thinkClose.utf8) ? close[0] : nil
        // A control token renders as nothing unless special tokens are rendered.
        let control = single.map { piece($0, special: false).isEmpty } ?? false
        return VocabularyFacts(
            thinkClose: single, thinkCloseIsControl: control, trueToken: try? singleToken(" true"),
            falseToken: try? singleToken(" false"), chatTemplate: chatTemplate)
    }

    /// The prompt profile this model gets when none is asked for, and why.
    public var automaticProfile: ProfileChoice { PromptProfile.automatic(vocabularyFacts) }

    /// Tokens masked while a chain is shorter than its minimum: end-of-generation tokens and any token whose
    /// text contains "</" (the start of `</think>`, which is several tokens in most vocabularies).
    private(set) lazy var maskedWhileShort: [Bool] = (0..<vocabularySize).map { i in
        let t = Int32(i)
        if isEndOfGeneration(t) { return true }
        let p = piece(t)
        guard p.count >= 2 else { return false }
        for j in 0..<(p.count - 1) where p[j] == UInt8(ascii: "<") && p[j + 1] == UInt8(ascii: "/") { return true }
        return false
    }

    /// Identity of the model file for the trace cache: its size and CRC-32C (computed once).
    public private(set) lazy var fingerprint: String = {
        guard let h = FileHandle(forReadingAtPath: path) else { return path }
        defer { try? h.close() }
        var crc: UInt32 = 0
        var size = 0
        while let chunk = try? h.read(upToCount: 8 << 20), !chunk.isEmpty {
            crc = chunk.withUnsafeBytes { r1_crc32c(crc, $0.baseAddress, $0.count) }
            size += chunk.count
        }
        return String(format: "%@:%d:%08x", (path as NSString).lastPathComponent, size, crc)
    }()

    /// Tokens of `text`; `addSpecial` adds BOS where the model wants it (the start of a prompt). Control
    /// markers in the text (`<|im_start|>` …) become their special tokens, as chat templates need and as
    /// llama-cpp-python tokenizes completion prompts.
    public func tokenize(_ text: String, addSpecial: Bool) -> [Int32] {
        var t = text
        return t.withUTF8 { buf -> [Int32] in
            var out = [Int32](repeating: 0, count: buf.count + 8)
            let base = UnsafeRawPointer(buf.baseAddress)?.assumingMemoryBound(to: CChar.self)
            var n = lib.api.tokenize(vocab, base, Int32(buf.count), &out, Int32(out.count), addSpecial, true)
            if n < 0 {
                out = [Int32](repeating: 0, count: Int(-n))
                n = lib.api.tokenize(vocab, base, Int32(buf.count), &out, Int32(out.count), addSpecial, true)
            }
            return Array(out.prefix(Int(max(n, 0))))
        }
    }

    /// The bytes a token stands for (special tokens rendered as text, so `</think>` stays visible).
    public func piece(_ token: Int32, special: Bool = true) -> [UInt8] {
        var buf = [CChar](repeating: 0, count: 64)
        var n = lib.api.token_to_piece(vocab, token, &buf, Int32(buf.count), 0, special)
        if n < 0 {
            buf = [CChar](repeating: 0, count: Int(-n))
            n = lib.api.token_to_piece(vocab, token, &buf, Int32(buf.count), 0, special)
        }
        return buf.prefix(Int(max(n, 0))).map { UInt8(bitPattern: $0) }
    }

    /// End of generation: the vocabulary's own end tokens, and chat turn ends that some GGUFs do not mark
    /// as such (Qwen2.5-Coder's `<|im_end|>`), which would otherwise be written into a chain as text.
    public func isEndOfGeneration(_ token: Int32) -> Bool {
        if lib.api.vocab_is_eog(vocab, token) { return true }
        return endOfTurnTokens.contains(token)
    }

    private lazy var endOfTurnTokens: Set<Int32> = Set(
        ["<|im_end|>", "<end_of_turn>", "<|eot_id|>"].compactMap { marker in
            let t = tokenize(marker, addSpecial: false)
            return t.count == 1 && piece(t[0]) == Array(marker.utf8) ? t[0] : nil
        })

    /// The id of a text that must be exactly one token (" true", " false").
    func singleToken(_ text: String) throws -> Int32 {
        let t = tokenize(text, addSpecial: false)
        guard t.count == 1 else {
            let pieces = t.map { "\"" + String(decoding: piece($0), as: UTF8.self) + "\"" }.joined(separator: " ")
            throw RerankError(
                "\((path as NSString).lastPathComponent): the vocabulary has no single token for \"\(text)\" "
                    + "(it is \(t.count) tokens: \(pieces)); Rank1 reads its verdict from the single tokens \" true\" and \" false\"")
        }
        return t[0]
    }
}

/// A llama.cpp context: the KV cache for up to `sequences` sequences, and a reusable batch.
final class LlamaContext {
    let model: LlamaModel
    let ctx: UnsafeMutableRawPointer
    let memory: UnsafeMutableRawPointer
    let contextSize: Int
    let batchCapacity: Int
    let sequences: Int
    private var batch: r1_batch

    init(model: LlamaModel, contextSize: Int, batchCapacity: Int, sequences: Int, threads: Int) throws {
        self.model = model
        let api = model.lib.api
        guard let n = UInt32(exactly: contextSize), UInt32(exactly: batchCapacity) != nil else {
            throw RerankError("a context of \(contextSize) tokens is beyond llama.cpp (lower --budget, --rethink or --parallel)")
        }
        var p = api.context_default_params()
        p.n_ctx = n
        p.n_batch = UInt32(batchCapacity)
        p.n_ubatch = UInt32(min(batchCapacity, 512))
        p.n_seq_max = UInt32(sequences)
        p.n_threads = Int32(threads)
        p.n_threads_batch = Int32(threads)
        p.no_perf = true
        p.kv_unified = false
        guard let c = api.init_from_model(model.model, p) else {
            throw RerankError("llama.cpp could not create a context of \(contextSize) tokens for \(sequences) sequences")
        }
        // An encoder (BERT-family embedding or reranking GGUF) has no KV cache: no chain can be written with it.
        guard let m = api.get_memory(c) else {
            api.free(c)
            throw RerankError("this model has no KV cache (an encoder or embedding model); Rank1 needs a decoder LLM")
        }
        ctx = c
        memory = m
        self.contextSize = Int(api.n_ctx(c))
        self.batchCapacity = batchCapacity
        self.sequences = sequences
        batch = api.batch_init(Int32(batchCapacity), 0, 1)
        api.set_n_threads(c, Int32(threads), Int32(threads))
    }

    deinit {
        model.lib.api.batch_free(batch)
        model.lib.api.free(ctx)
    }

    // MARK: batch

    var batchCount: Int { Int(batch.n_tokens) }
    func clearBatch() { batch.n_tokens = 0 }

    /// Adds a token; returns its index in the batch (the row of its logits when `logits` is set).
    @discardableResult
    func add(_ token: Int32, position: Int32, sequence: Int32, logits: Bool) -> Int {
        let i = Int(batch.n_tokens)
        precondition(i < batchCapacity, "batch overflow")
        batch.token[i] = token
        batch.pos[i] = position
        batch.n_seq_id[i] = 1
        batch.seq_id[i]![0] = sequence
        batch.logits[i] = logits ? 1 : 0
        batch.n_tokens += 1
        return i
    }

    func decode() throws {
        let rc = model.lib.api.decode(ctx, batch)
        switch rc {
        case 0: return
        case 1: throw RerankError("llama_decode found no room in the KV cache (1): the context is full")
        case 2: throw RerankError("llama_decode was aborted (2)")
        default: throw RerankError("llama_decode failed (\(rc)): the batch is invalid or the backend failed")
        }
    }

    /// The logits of a batch row that asked for them; llama.cpp answers NULL for any other row.
    func logits(_ row: Int) throws -> UnsafeMutablePointer<Float> {
        guard let p = model.lib.api.get_logits_ith(ctx, Int32(row)) else {
            throw RerankError("llama.cpp has no logits for row \(row) of the batch (a bug: please report it with the query)")
        }
        return p
    }

    // MARK: KV cache

    func clearAll() { model.lib.api.memory_clear(memory, true) }
    func remove(sequence: Int32, from p0: Int32 = -1, to p1: Int32 = -1) {
        _ = model.lib.api.memory_seq_rm(memory, sequence, p0, p1)
    }
    func copy(sequence src: Int32, to dst: Int32) { model.lib.api.memory_seq_cp(memory, src, dst, -1, -1) }
}
