/// Fixed-width bit packing of a block of small integers (full posting blocks: doc gaps and tfs), least
/// significant bits first. Decoding loads 64-bit words when at least 8 bytes follow the block in the buffer
/// (`available`), else feeds an accumulator byte by byte: it never reads past the buffer.
enum BitPacking {
    /// Bits needed for the largest of `values` (0 when all are 0).
    static func width<C: Collection>(_ values: C) -> Int where C.Element == UInt32 {
        UInt32.bitWidth - (values.reduce(0, |).leadingZeroBitCount)
    }

    /// Bytes that `count` values of `width` bits take.
    @inline(__always)
    static func byteCount(_ count: Int, width: Int) -> Int { (count * width + 7) / 8 }

    static func append<C: Collection>(_ values: C, width: Int, to out: inout [UInt8]) where C.Element == UInt32 {
        var acc: UInt64 = 0
        var bits = 0
        for v in values {
            acc |= UInt64(v) << UInt64(bits)
            bits += width
            while bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: acc))
                acc >>= 8
                bits -= 8
            }
        }
        if bits > 0 { out.append(UInt8(truncatingIfNeeded: acc)) }
    }

    /// Decodes `count` values of `width` bits from `p + i` into `out`, advancing `i` past them. `available`
    /// is how many bytes may be read from `p`: with 8 to spare past the packed bytes, each value is one
    /// unaligned 64-bit load and a shift (no per-byte loop).
    @inline(__always)
    static func read(
        _ p: UnsafePointer<UInt8>, _ i: inout Int, count: Int, width: Int,
        into out: UnsafeMutablePointer<UInt32>, available: Int = 0
    ) {
        if width == 0 {
            out.update(repeating: 0, count: count)
            return
        }
        let mask = (UInt64(1) << UInt64(width)) - 1
        if i + byteCount(count, width: width) + 8 <= available {
            let raw = UnsafeRawPointer(p + i)
            var bit = 0
            for k in 0..<count {
                let word = raw.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self)
                out[k] = UInt32(truncatingIfNeeded: (UInt64(littleEndian: word) >> UInt64(bit & 7)) & mask)
                bit += width
            }
            i += byteCount(count, width: width)
            return
        }
        var q = p + i
        var acc: UInt64 = 0
        var bits = 0
        for k in 0..<count {
            while bits < width {
                acc |= UInt64(q.pointee) << UInt64(bits)
                q += 1
                bits += 8
            }
            out[k] = UInt32(truncatingIfNeeded: acc & mask)
            acc >>= UInt64(width)
            bits -= width
        }
        i += byteCount(count, width: width)
    }
}
