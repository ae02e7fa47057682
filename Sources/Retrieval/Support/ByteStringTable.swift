/// A hash table from byte strings to dense ids (0, 1, 2, … in insertion order), with the keys packed in
/// one arena. Used for the build-time term dictionary and the raw-token cache, where millions of small
/// `[UInt8]` keys in a Dictionary would cost an allocation each.
struct ByteStringTable {
    private(set) var arena: [UInt8] = []
    private(set) var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Open addressing; a slot holds id + 1 in its low 32 bits (0 = empty) and the key's hash in its
    /// high 32 bits, so most probes are decided without touching the keys.
    private var slots: [UInt64]
    private var mask: Int

    init(capacity: Int = 1 << 12) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    var count: Int { starts.count - 1 }

    func key(_ id: Int) -> ArraySlice<UInt8> { arena[starts[id]..<starts[id + 1]] }

    /// Eight bytes at a time with a multiply-xorshift mix: tokens are short, so this beats byte-wise FNV.
    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        guard let p = key.baseAddress else { return h }
        let raw = UnsafeRawPointer(p)
        var i = 0
        let n = key.count
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(p[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        }
        return h ^ (h >> 29)
    }

    /// The id of `key`, inserting it when new.
    mutating func id(for key: UnsafeBufferPointer<UInt8>) -> (id: Int, inserted: Bool) {
        let h = ByteStringTable.hash(key)
        let tag = h & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[slot]
            if s == 0 { break }
            if s & 0xFFFF_FFFF_0000_0000 == tag {
                let id = Int(s & 0xFFFF_FFFF) - 1
                if starts[id + 1] - starts[id] == key.count, equal(id, key) { return (id, false) }
            }
            slot = (slot + 1) & mask
        }
        let id = count
        slots[slot] = tag | UInt64(id + 1)
        arena.append(contentsOf: key)
        starts.append(arena.count)
        hashes.append(h)
        if count * 2 > slots.count { grow() }
        return (id, true)
    }

    /// The id of `key` if present.
    func find(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let h = ByteStringTable.hash(key)
        let tag = h & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[slot]
            if s == 0 { return nil }
            if s & 0xFFFF_FFFF_0000_0000 == tag {
                let id = Int(s & 0xFFFF_FFFF) - 1
                if starts[id + 1] - starts[id] == key.count, equal(id, key) { return id }
            }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private func equal(_ id: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = starts[id]
        return arena.withUnsafeBufferPointer { a in
            let n = key.count
            if n > 16 { return memcmp(a.baseAddress! + s, key.baseAddress!, n) == 0 }
            for i in 0..<n where a[s + i] != key[i] { return false }
            return true
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        for id in 0..<count {
            var slot = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = (hashes[id] & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
