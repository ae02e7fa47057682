import CSupport

/// CRC-32C over bytes (hardware-accelerated where the CPU has it).
enum Checksum {
    static func crc32c(_ p: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = p.baseAddress, p.count > 0 else { return seed }
        return r1_crc32c(seed, base, p.count)
    }

    static func crc32c(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32c($0, seed: seed) }
    }
}
