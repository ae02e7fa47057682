/// Iterates one posting list block by block; `advance(to:)` skips whole blocks with the skip table.
public struct PostingsCursor {
    public static let exhausted = Int32.max

    private let data: UnsafePointer<UInt8>
    private let skips: UnsafeRawPointer
    private let blockCount: Int
    public let docFreq: Int
    private var block = -1
    private var docs = [Int32](repeating: 0, count: IndexFormat.blockSize)
    private var tfs = [UInt32](repeating: 0, count: IndexFormat.blockSize)
    private var count = 0
    private var pos = 0
    /// The current document, or `exhausted`.
    public private(set) var doc: Int32 = -1

    init(bytes: UnsafeRawBufferPointer, docFreq: Int) {
        let b = bytes.baseAddress!
        blockCount = Int(UInt32(littleEndian: b.loadUnaligned(as: UInt32.self)))
        skips = b + 4
        data = (b + 4 + blockCount * 8).assumingMemoryBound(to: UInt8.self)
        self.docFreq = docFreq
    }

    public var tf: UInt32 { tfs[pos] }

    @inline(__always) private func lastDoc(ofBlock b: Int) -> Int32 {
        Int32(bitPattern: UInt32(littleEndian: skips.loadUnaligned(fromByteOffset: b * 8, as: UInt32.self)))
    }

    private mutating func load(_ b: Int) {
        block = b
        guard b < blockCount else { doc = PostingsCursor.exhausted; return }
        var i = Int(UInt32(littleEndian: skips.loadUnaligned(fromByteOffset: b * 8 + 4, as: UInt32.self)))
        count = b == blockCount - 1 ? docFreq - b * IndexFormat.blockSize : IndexFormat.blockSize
        var prev: Int32 = b == 0 ? 0 : lastDoc(ofBlock: b - 1)
        docs.withUnsafeMutableBufferPointer { d in
            for k in 0..<count {
                prev &+= Int32(bitPattern: Varint.read(data, &i))
                d[k] = prev
            }
        }
        tfs.withUnsafeMutableBufferPointer { t in
            for k in 0..<count { t[k] = Varint.read(data, &i) }
        }
        pos = 0
        doc = docs[0]
    }

    /// Moves to the next document.
    public mutating func next() {
        if block < 0 { load(0); return }
        if doc == PostingsCursor.exhausted { return }
        pos += 1
        if pos < count { doc = docs[pos] } else { load(block + 1) }
    }

    /// Moves to the first document ≥ target.
    public mutating func advance(to target: Int32) {
        if doc >= target { return }
        var b = max(block, 0)
        while b < blockCount && lastDoc(ofBlock: b) < target { b += 1 }
        if b != block { load(b) }
        if doc == PostingsCursor.exhausted { return }
        while docs[pos] < target { pos += 1 }
        doc = docs[pos]
    }
}
