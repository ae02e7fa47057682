#if canImport(Glibc)
    import Glibc
#endif

/// Buffered sequential writer with a running CRC-32C of what was written since `beginSection`.
final class FileWriter {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var position: UInt64 = 0
    private var crc: UInt32 = 0

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw IndexError.io("cannot create \(path): \(String(cString: strerror(errno)))") }
        buffer.reserveCapacity(1 << 20)
    }

    deinit { Glibc.close(fd) }

    func beginSection() { crc = 0 }
    var sectionCRC: UInt32 { crc }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        crc = Checksum.crc32c(bytes, seed: crc)
        position += UInt64(bytes.count)
        if buffer.count + bytes.count > (1 << 20) { try flush() }
        if bytes.count >= (1 << 20) {
            try rawWrite(bytes)
            return
        }
        buffer.append(contentsOf: bytes)
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    func write(_ bytes: ArraySlice<UInt8>) throws { try bytes.withUnsafeBytes { try write($0) } }

    func write<T: FixedWidthInteger>(_ value: T) throws {
        try withUnsafeBytes(of: value.littleEndian) { try write($0) }
    }

    func flush() throws {
        if buffer.isEmpty { return }
        try buffer.withUnsafeBytes { try rawWrite($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func rawWrite(_ bytes: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                throw IndexError.io("write to \(path) failed: \(String(cString: strerror(errno)))")
            }
            off += n
        }
    }

    /// Overwrites bytes at an absolute offset (the header, at the end of a build).
    func patch(at offset: UInt64, _ bytes: [UInt8]) throws {
        try flush()
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, off_t(offset)) }
        if n != bytes.count { throw IndexError.io("write to \(path) failed: \(String(cString: strerror(errno)))") }
    }

    func sync() throws {
        try flush()
        if fsync(fd) != 0 { throw IndexError.io("fsync \(path) failed: \(String(cString: strerror(errno)))") }
    }
}
