#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few file-system calls the core needs, without Foundation on the hot paths.
public enum FileSystem {
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func fileSize(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : nil
    }

    /// Creates `path` and its parents; fine if it exists.
    public static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if !isDirectory(current), mkdir(current, 0o755) != 0, errno != EEXIST {
                throw IndexError.io("cannot create directory \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Regular files under `root`, sorted, as paths relative to it.
    public static func listFiles(_ root: String) -> [String] { listFilesReportingFailures(root).files }

    /// Files under `root` (sorted, relative to it), and the folders that could not be listed, with why.
    public static func listFilesReportingFailures(_ root: String) -> (files: [String], failures: [(path: String, reason: String)]) {
        var out: [String] = []
        var failures: [(String, String)] = []
        func walk(_ rel: String) {
            let path = rel.isEmpty ? root : root + "/" + rel
            guard let dir = opendir(path) else {
                failures.append((path, String(cString: strerror(errno))))
                return
            }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                if name == "." || name == ".." || name.hasPrefix(".") { continue }
                let child = rel.isEmpty ? name : rel + "/" + name
                if isDirectory(root + "/" + child) { walk(child) } else { out.append(child) }
            }
        }
        walk("")
        return (out.sorted(), failures)
    }

    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw IndexError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw IndexError.io("cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}
