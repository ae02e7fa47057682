import Foundation

/// The on-disk index: one file, `index.r1`, written whole to a temporary name and renamed into place.
///
///     header (512 bytes): magic, version, statistics, the section table, CRC-32C of the header
///     sections (each with a CRC-32C in the header):
///       docBlocks   titles and texts, in zlib blocks of about 32 KiB of records (varint length + bytes)
///       blockIndex  per block: offset u64, compressed u32, raw u32, first doc u32, CRC-32C of the block u32
///       idBlob, idOffsets (u32 × N+1), idOrder (doc numbers sorted by id, u32 × N), norms (u8 × N)
///       termDict    terms in byte order, 32 to a block, prefix-compressed: prefix, suffix, df, postings
///                   length, max tf (varints), min norm (u8)
///       termIndex   per term block: dict offset u32, CRC-32C of the block's postings u32, postings offset u64
///       postings    per term: blocks of 128 docs, bit-packed gaps and tfs; the last, partial block as
///                   varints (see IndexWriter.encodePostings); more than one block: a skip table of
///                   (last doc u32, data offset u32) per block first
///       meta        JSON (IndexMeta): analyzer, store (text or none), source
///
/// Opening verifies the header and every section but the two big ones; those are verified piecewise
/// where they are read (a term block's postings on first use, a document block on each read).
public enum IndexFormat {
    public static let fileName = "index.r1"
    public static let magic: [UInt8] = Array("RANK1IDX".utf8)
    public static let version: UInt32 = 3
    static let headerSize = 512
    static let headerCRCOffset = 508
    static let sectionTableOffset = 56
    static let sectionRecordSize = 24
    static let blockIndexEntrySize = 24
    static let termIndexEntrySize = 16
    static let termsPerBlock = 32
    /// Postings are grouped in blocks of this many documents, with a skip entry per block.
    static let blockSize = 128
    /// Raw bytes of document records per compressed block.
    static let docBlockBytes = 32 << 10

    enum Section: Int, CaseIterable {
        case docBlocks, blockIndex, idBlob, idOffsets, idOrder, norms, termDict, termIndex, postings, meta
        var name: String { String(describing: self) }
        /// Sections verified in full when the index is opened.
        var verifiedAtOpen: Bool { self != .docBlocks && self != .postings }
    }
}

public enum IndexError: Error, CustomStringConvertible, Sendable {
    case io(String)
    case notAnIndex(String)
    case unsupportedVersion(path: String, found: UInt32)
    case corrupt(path: String, detail: String)
    case badInput(String)
    case textNotStored(String)

    public var description: String {
        switch self {
        case .io(let m): return m
        case .notAnIndex(let p):
            return "\(p) is not a Rank1 index (no \(IndexFormat.fileName) with the right magic bytes); build one with `rank1 index`"
        case .unsupportedVersion(let p, let v):
            return "\(p): index format version \(v) is not supported (this rank1 reads version \(IndexFormat.version)); rebuild it with `rank1 index`"
        case .corrupt(let p, let d): return "\(p): index is damaged (\(d)); rebuild it with `rank1 index`"
        case .badInput(let m): return m
        case .textNotStored(let p):
            return
                "\(p) was built with --store none: it keeps no document text to show or rerank; rebuild it with `rank1 index` (text is stored by default)"
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

/// The index's meta section: which analyzer built it, what it stores, where its corpus came from (JSON).
struct IndexMeta: Codable, Equatable {
    var analyzer: String
    var store: String
    var source: String

    func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }

    /// Read from the section's bytes; nil when they are not this shape.
    static func decoded(_ bytes: UnsafeRawBufferPointer) -> IndexMeta? { try? JSONDecoder().decode(IndexMeta.self, from: Data(bytes)) }
}
