/// LEB128 unsigned varints: postings and document records use them.
enum Varint {
    @inline(__always)
    static func append<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: v))
    }

    /// Decodes at `p + i`, advancing `i`. The caller guarantees the bytes are in bounds (checksummed data).
    @inline(__always)
    static func read(_ p: UnsafePointer<UInt8>, _ i: inout Int) -> UInt32 {
        var b = p[i]
        i += 1
        if b < 0x80 { return UInt32(b) }
        var v = UInt32(b & 0x7F)
        var shift: UInt32 = 7
        repeat {
            b = p[i]
            i += 1
            v |= UInt32(b & 0x7F) << shift
            shift += 7
        } while b >= 0x80 && shift < 35
        return v
    }

    /// Bounds-checked decode for untrusted buffers; nil when truncated.
    static func readChecked(_ p: UnsafeRawBufferPointer, _ i: inout Int) -> UInt64? {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while i < p.count, shift < 64 {
            let b = p[i]
            i += 1
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
        return nil
    }
}
