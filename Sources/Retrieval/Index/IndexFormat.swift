/// The on-disk index: one file, `index.r1`, written whole to a temporary name and renamed into place.
///
///     header (512 bytes): magic, version, statistics, the section table, CRC-32C of the header
///     sections: docStore | docOffsets | norms | idOrder | termBlob | termEntries | postings | meta
///
/// Every section has a CRC-32C in the header. Opening verifies the header and the small sections; the
/// two big ones are verified piecewise where they are read: each posting list has its own CRC in its
/// term entry (checked on first use), each stored document ends with the CRC of its record.
public enum IndexFormat {
    public static let fileName = "index.r1"
    public static let magic: [UInt8] = Array("RANK1IDX".utf8)
    public static let version: UInt32 = 1
    static let headerSize = 512
    static let headerCRCOffset = 508
    static let sectionTableOffset = 56
    static let sectionRecordSize = 24
    static let termEntrySize = 40
    /// Postings are grouped in blocks of this many documents, with a skip entry per block.
    static let blockSize = 128

    enum Section: Int, CaseIterable {
        case docStore, docOffsets, norms, idOrder, termBlob, termEntries, postings, meta
        var name: String { String(describing: self) }
        /// Sections verified in full when the index is opened.
        var verifiedAtOpen: Bool { self != .docStore && self != .postings }
    }
}

public enum IndexError: Error, CustomStringConvertible, Sendable {
    case io(String)
    case notAnIndex(String)
    case unsupportedVersion(path: String, found: UInt32)
    case corrupt(path: String, detail: String)
    case badInput(String)

    public var description: String {
        switch self {
        case .io(let m): return m
        case .notAnIndex(let p): return "\(p) is not a Rank1 index (no \(IndexFormat.fileName) with the right magic bytes); build one with `rank1 index`"
        case .unsupportedVersion(let p, let v):
            return "\(p): index format version \(v) is not supported (this rank1 reads version \(IndexFormat.version)); rebuild it with `rank1 index`"
        case .corrupt(let p, let d): return "\(p): index is damaged (\(d)); rebuild it with `rank1 index`"
        case .badInput(let m): return m
        }
    }
}

/// Lucene's SmallFloat.intToByte4 / byte4ToInt: the one-byte document length that BM25 scores with.
/// Exact parity with Lucene needs the same lossy lengths (lengths above 24 are rounded down to 4
/// significant bits).
public enum LengthNorm {
    static let numFreeValues = 24  // 255 - longToInt4(Int32.max)

    static func longToInt4(_ i: Int) -> Int {
        let numBits = Int.bitWidth - i.leadingZeroBitCount
        if numBits < 4 { return i }
        let shift = numBits - 4
        var encoded = (i >> shift) & 0x07
        encoded |= (shift + 1) << 3
        return encoded
    }

    static func int4ToLong(_ i: Int) -> Int {
        let bits = i & 0x07
        let shift = (i >> 3) - 1
        return shift == -1 ? bits : (bits | 0x08) << shift
    }

    public static func encode(_ length: Int) -> UInt8 {
        if length < numFreeValues { return UInt8(length) }
        return UInt8(numFreeValues + longToInt4(length - numFreeValues))
    }

    public static func decode(_ byte: UInt8) -> Int {
        let i = Int(byte)
        if i < numFreeValues { return i }
        return numFreeValues + int4ToLong(i - numFreeValues)
    }

    /// decode() for all 256 bytes.
    public static let table: [Int] = (0..<256).map { decode(UInt8($0)) }
}
