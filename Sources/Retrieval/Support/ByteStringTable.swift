/// A hash table from byte strings to dense ids (0, 1, 2, … in insertion order), with the keys packed in
/// one arena. Used for the build-time term dictionary and the raw-token cache, where millions of small
/// `[UInt8]` keys in a Dictionary would cost an allocation each.
struct ByteStringTable {
    private(set) var arena: [UInt8] = []
    private(set) var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int = 1 << 12) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    var count: Int { starts.count - 1 }

    func key(_ id: Int) -> ArraySlice<UInt8> { arena[starts[id]..<starts[id + 1]] }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h ^ (h >> 29)
    }

    /// The id of `key`, inserting it when new.
    mutating func id(for key: UnsafeBufferPointer<UInt8>) -> (id: Int, inserted: Bool) {
        let h = ByteStringTable.hash(key)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[slot]
            if s < 0 { break }
            let id = Int(s)
            if hashes[id] == h, starts[id + 1] - starts[id] == key.count, equal(id, key) { return (id, false) }
            slot = (slot + 1) & mask
        }
        let id = count
        slots[slot] = Int32(id)
        arena.append(contentsOf: key)
        starts.append(arena.count)
        hashes.append(h)
        if count * 2 > slots.count { grow() }
        return (id, true)
    }

    /// The id of `key` if present.
    func find(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let h = ByteStringTable.hash(key)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[slot]
            if s < 0 { return nil }
            let id = Int(s)
            if hashes[id] == h, starts[id + 1] - starts[id] == key.count, equal(id, key) { return id }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private func equal(_ id: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = starts[id]
        return arena.withUnsafeBufferPointer { a in
            key.isEmpty || memcmp(a.baseAddress! + s, key.baseAddress!, key.count) == 0
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for id in 0..<count {
            var slot = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
