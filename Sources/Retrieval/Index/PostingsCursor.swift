/// Iterates one posting list block by block; `advance(to:)` skips whole blocks with the skip table.
/// A class with its own buffers, so the search loop moves it without copies or uniqueness checks.
public final class PostingsCursor {
    public static let exhausted = Int32.max

    private let data: UnsafePointer<UInt8>
    private let skips: UnsafeRawPointer
    private let blockCount: Int
    /// Bytes of `data` (the blocks after the skip table).
    private let dataCount: Int
    public let docFreq: Int
    private var block = -1
    private let docs = UnsafeMutablePointer<Int32>.allocate(capacity: IndexFormat.blockSize)
    private let tfs = UnsafeMutablePointer<UInt32>.allocate(capacity: IndexFormat.blockSize)
    private var count = 0
    private var pos = 0
    /// The current document, or `exhausted`; -1 before the first `next()`.
    public private(set) var doc: Int32 = -1

    init(bytes: UnsafeRawBufferPointer, docFreq: Int) {
        let b = bytes.baseAddress!
        blockCount = (docFreq + IndexFormat.blockSize - 1) / IndexFormat.blockSize
        skips = b
        let skipBytes = blockCount > 1 ? blockCount * 8 : 0
        data = (b + skipBytes).assumingMemoryBound(to: UInt8.self)
        dataCount = bytes.count - skipBytes
        self.docFreq = docFreq
    }

    deinit {
        docs.deallocate()
        tfs.deallocate()
    }

    @inline(__always) public var tf: UInt32 { tfs[pos] }

    @inline(__always) private func lastDoc(ofBlock b: Int) -> Int32 {
        Int32(bitPattern: UInt32(littleEndian: skips.loadUnaligned(fromByteOffset: b * 8, as: UInt32.self)))
    }

    private func load(_ b: Int) {
        block = b
        guard b < blockCount else {
            doc = PostingsCursor.exhausted
            return
        }
        var i = blockCount > 1 ? Int(UInt32(littleEndian: skips.loadUnaligned(fromByteOffset: b * 8 + 4, as: UInt32.self))) : 0
        count = b == blockCount - 1 ? docFreq - b * IndexFormat.blockSize : IndexFormat.blockSize
        var prev: Int32 = b == 0 ? -1 : lastDoc(ofBlock: b - 1)
        if count == IndexFormat.blockSize {
            // Bit-packed (gap − 1) values, then (tf − 1) values (see IndexWriter.encodePostings).
            let gapWidth = Int(data[i])
            i += 1
            docs.withMemoryRebound(to: UInt32.self, capacity: count) {
                BitPacking.read(data, &i, count: count, width: gapWidth, into: $0, available: dataCount)
            }
            let tfWidth = Int(data[i])
            i += 1
            BitPacking.read(data, &i, count: count, width: tfWidth, into: tfs, available: dataCount)
            for k in 0..<count {
                prev &+= docs[k] &+ 1
                docs[k] = prev
                tfs[k] &+= 1
            }
        } else {
            // Varints of (gap − 1) << 1 | (tf == 1), each followed by tf when it is not 1. Short lists are
            // mostly one- and two-byte values, and branching on the length mispredicts often: while four
            // bytes remain, one load decodes a value below 2^14 and a one-byte tf with selects instead.
            let raw = UnsafeRawPointer(data)
            for k in 0..<count {
                var v: UInt32
                var tf: UInt32
                let x = i + 4 <= dataCount ? UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self)) : 0x8080
                if x & 0x8080 != 0x8080 {
                    let c0 = (x >> 7) & 1  // 1 when the value takes two bytes
                    let length = 1 &+ c0
                    v = (x & 0x7F) | ((((x >> 8) & 0x7F) << 7) & (0 &- c0))
                    let next = (x >> (length &* 8)) & 0xFF  // the byte after the value
                    let one = v & 1
                    if one == 0 && next >= 0x80 {  // tf ≥ 128
                        i += Int(length)
                        tf = Varint.read(data, &i)
                    } else {
                        tf = one != 0 ? 1 : next
                        i += Int(length &+ (1 &- one))
                    }
                } else {
                    v = Varint.read(data, &i)
                    tf = v & 1 != 0 ? 1 : Varint.read(data, &i)
                }
                prev &+= Int32(bitPattern: v >> 1) &+ 1
                docs[k] = prev
                tfs[k] = tf
            }
        }
        pos = 0
        doc = docs[0]
    }

    /// Moves to the next document.
    @inline(__always)
    public func next() {
        pos += 1
        if pos < count { doc = docs[pos] } else if block < 0 { load(0) } else if doc != PostingsCursor.exhausted { load(block + 1) }
    }

    /// How many of the current block's documents, from the cursor on, are below `end` (0 when the cursor
    /// is at or past it). With `runDocs`/`runTfs` and `consume`, a caller scores a block's run in bulk.
    @inline(__always)
    func run(below end: Int32) -> Int {
        if doc >= end { return 0 }  // exhausted included
        if docs[count - 1] < end { return count - pos }
        var m = pos + 1
        while docs[m] < end { m += 1 }
        return m - pos
    }

    @inline(__always) var runDocs: UnsafePointer<Int32> { UnsafePointer(docs + pos) }
    @inline(__always) var runTfs: UnsafePointer<UInt32> { UnsafePointer(tfs + pos) }

    /// Moves past `n` documents of the current block (n from `run`), to the next block when it is used up.
    @inline(__always)
    func consume(_ n: Int) {
        pos += n
        if pos < count { doc = docs[pos] } else { load(block + 1) }
    }

    /// Moves to the first document ≥ target.
    public func advance(to target: Int32) {
        if doc >= target { return }
        var b = max(block, 0)
        if blockCount > 1 {
            while b < blockCount && lastDoc(ofBlock: b) < target { b += 1 }
        }
        if b != block { load(b) }
        if doc == PostingsCursor.exhausted { return }
        while pos < count && docs[pos] < target { pos += 1 }
        if pos == count {
            load(blockCount)
            return
        }  // only a single-block list can run off its end here
        doc = docs[pos]
    }
}
