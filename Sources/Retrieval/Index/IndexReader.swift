import CSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A term's dictionary entry.
public struct TermInfo: Sendable {
    public var ordinal: Int
    public var docFreq: Int
    public var maxTf: UInt32
    public var minNorm: UInt8
    var postingsOffset: Int
    var postingsLength: Int
}

/// A stored document.
public struct StoredDocument: Sendable, Equatable {
    public var number: Int
    public var id: String
    public var title: String
    public var text: String
}

/// An open index: the file is memory-mapped read-only, so opening is fast and only touched pages are
/// resident. Not thread-safe (it remembers which posting lists it has verified); open one per thread.
public final class IndexReader {
    public let path: String
    public let documentCount: Int
    /// Documents with at least one term (Lucene's docCount for the field).
    public let documentsWithTerms: Int
    public let totalTokens: UInt64
    public let termCount: Int
    public let analyzerName: String
    public let meta: String
    /// False for an index built with `--store none` (ids and postings only).
    public let storesText: Bool

    private let base: UnsafeRawPointer
    private let size: Int
    private var sections: [(offset: Int, length: Int, crc: UInt32)] = []
    private var verifiedBlocks: [UInt64]

    public init(directory: String) throws {
        let file = directory.hasSuffix(IndexFormat.fileName) ? directory : directory + "/" + IndexFormat.fileName
        path = file
        guard FileSystem.exists(file) else { throw IndexError.notAnIndex(directory) }
        let fd = open(file, O_RDONLY)
        if fd < 0 { throw IndexError.io("cannot open \(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        size = Int(st.st_size)
        guard size >= IndexFormat.headerSize else { throw IndexError.notAnIndex(directory) }
        guard let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw IndexError.io("cannot map \(file): \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
        let header = UnsafeRawBufferPointer(start: base, count: IndexFormat.headerSize)
        func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: header.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: header.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        do {
            guard Array(header[0..<8]) == IndexFormat.magic else { throw IndexError.notAnIndex(directory) }
            let version = u32(8)
            guard version == IndexFormat.version else { throw IndexError.unsupportedVersion(path: file, found: version) }
            let crc = Checksum.crc32c(UnsafeRawBufferPointer(rebasing: header[0..<IndexFormat.headerCRCOffset]))
            guard crc == u32(IndexFormat.headerCRCOffset) else {
                throw IndexError.corrupt(path: file, detail: "header checksum mismatch")
            }
            documentCount = Int(u64(16))
            documentsWithTerms = Int(u64(24))
            totalTokens = u64(32)
            termCount = Int(u64(40))
            let count = Int(u32(48))
            guard count == IndexFormat.Section.allCases.count else {
                throw IndexError.corrupt(path: file, detail: "unexpected section count \(count)")
            }
            for i in 0..<count {
                let o = IndexFormat.sectionTableOffset + i * IndexFormat.sectionRecordSize
                let s = (offset: Int(u64(o)), length: Int(u64(o + 8)), crc: u32(o + 16))
                guard s.offset >= IndexFormat.headerSize, s.offset + s.length <= size else {
                    throw IndexError.corrupt(
                        path: file, detail: "section \(IndexFormat.Section(rawValue: i)!.name) lies outside the file (truncated?)")
                }
                sections.append(s)
            }
            for s in IndexFormat.Section.allCases where s.verifiedAtOpen {
                let r = sections[s.rawValue]
                if Checksum.crc32c(UnsafeRawBufferPointer(start: base + r.offset, count: r.length)) != r.crc {
                    throw IndexError.corrupt(path: file, detail: "checksum mismatch in section \(s.name)")
                }
            }
            let termBlocks = (termCount + IndexFormat.termsPerBlock - 1) / IndexFormat.termsPerBlock
            let expected: [(IndexFormat.Section, Int)] = [
                (.norms, documentCount), (.idOffsets, (documentCount + 1) * 4), (.idOrder, documentCount * 4),
                (.termIndex, termBlocks * IndexFormat.termIndexEntrySize),
            ]
            for (s, len) in expected where sections[s.rawValue].length != len {
                throw IndexError.corrupt(path: file, detail: "section \(s.name) has the wrong size")
            }
        } catch {
            munmap(p, size)
            throw error
        }
        let m = sections[IndexFormat.Section.meta.rawValue]
        let metaBytes = UnsafeRawBufferPointer(start: base + m.offset, count: m.length)
        meta = String(decoding: metaBytes, as: UTF8.self)
        let parsed = IndexMeta.decoded(metaBytes)
        analyzerName = parsed?.analyzer ?? ""
        storesText = parsed?.store != "none"
        let termBlocks = (termCount + IndexFormat.termsPerBlock - 1) / IndexFormat.termsPerBlock
        verifiedBlocks = [UInt64](repeating: 0, count: (termBlocks + 63) / 64)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }

    public var fileSize: Int { size }

    /// The analyzer this index was built with.
    public func makeAnalyzer() throws -> any Analyzer {
        guard let a = analyzer(named: analyzerName) else {
            throw IndexError.corrupt(path: path, detail: "unknown analyzer \"\(analyzerName)\"")
        }
        return a
    }

    @inline(__always) private func section(_ s: IndexFormat.Section) -> UnsafeRawPointer { base + sections[s.rawValue].offset }

    @inline(__always) public func norm(_ doc: Int) -> UInt8 { section(.norms).load(fromByteOffset: doc, as: UInt8.self) }

    /// All norms as one buffer (the scorer reads them directly).
    var normsPointer: UnsafePointer<UInt8> { section(.norms).assumingMemoryBound(to: UInt8.self) }

    // MARK: Terms

    private var termBlockCount: Int { (termCount + IndexFormat.termsPerBlock - 1) / IndexFormat.termsPerBlock }

    private func termIndexEntry(_ block: Int) -> (dict: Int, crc: UInt32, postings: Int) {
        let e = section(.termIndex) + block * IndexFormat.termIndexEntrySize
        return (
            Int(UInt32(littleEndian: e.loadUnaligned(as: UInt32.self))),
            UInt32(littleEndian: e.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
            Int(UInt64(littleEndian: e.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        )
    }

    /// Decodes the terms of one dictionary block in order, calling `body` with each term's bytes and
    /// info until it returns false.
    private func scanBlock(_ block: Int, _ body: (UnsafeBufferPointer<UInt8>, TermInfo) -> Bool) {
        let entry = termIndexEntry(block)
        let dict = section(.termDict).assumingMemoryBound(to: UInt8.self)
        var i = entry.dict
        var postings = entry.postings
        var term = [UInt8]()
        term.reserveCapacity(64)
        let first = block * IndexFormat.termsPerBlock
        let n = min(IndexFormat.termsPerBlock, termCount - first)
        for k in 0..<n {
            let prefix = Int(Varint.read(dict, &i))
            let suffix = Int(Varint.read(dict, &i))
            term.removeSubrange(prefix...)
            term.append(contentsOf: UnsafeBufferPointer(start: dict + i, count: suffix))
            i += suffix
            let df = Int(Varint.read(dict, &i))
            let len = Int(Varint.read(dict, &i))
            let maxTf = Varint.read(dict, &i)
            let minNorm = dict[i]
            i += 1
            let info = TermInfo(
                ordinal: first + k, docFreq: df, maxTf: maxTf, minNorm: minNorm,
                postingsOffset: postings, postingsLength: len)
            postings += len
            let more = term.withUnsafeBufferPointer { body($0, info) }
            if !more { return }
        }
    }

    /// The first term of a block (stored whole: prefixes restart at each block).
    private func firstTerm(_ block: Int) -> UnsafeBufferPointer<UInt8> {
        let dict = section(.termDict).assumingMemoryBound(to: UInt8.self)
        var i = termIndexEntry(block).dict
        _ = Varint.read(dict, &i)
        let len = Int(Varint.read(dict, &i))
        return UnsafeBufferPointer(start: dict + i, count: len)
    }

    public func term(_ ordinal: Int) -> String {
        var out = ""
        scanBlock(ordinal / IndexFormat.termsPerBlock) { bytes, info in
            if info.ordinal == ordinal {
                out = String(decoding: bytes, as: UTF8.self)
                return false
            }
            return true
        }
        return out
    }

    func info(_ ordinal: Int) -> TermInfo {
        var out: TermInfo?
        scanBlock(ordinal / IndexFormat.termsPerBlock) { _, info in
            if info.ordinal == ordinal {
                out = info
                return false
            }
            return true
        }
        return out!
    }

    /// Binary search over the blocks' first terms, then a scan of one block.
    public func lookup(_ term: String) -> TermInfo? {
        var t = term
        return t.withUTF8 { lookup(bytes: $0) }
    }

    /// `lookup` for a term given as UTF-8 bytes (the search path: no String is made).
    public func lookup(bytes key: UnsafeBufferPointer<UInt8>) -> TermInfo? {
        func compare(_ a: UnsafeBufferPointer<UInt8>) -> Int {
            let n = min(a.count, key.count)
            let c = n > 0 ? Int(memcmp(a.baseAddress!, key.baseAddress!, n)) : 0
            return c != 0 ? c : a.count - key.count
        }
        // The last block whose first term is ≤ key.
        var lo = 0
        var hi = termBlockCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if compare(firstTerm(mid)) <= 0 { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        var found: TermInfo?
        scanBlock(lo - 1) { bytes, info in
            let c = compare(bytes)
            if c == 0 { found = info }
            return c < 0
        }
        return found
    }

    /// The posting list's bytes; its dictionary block's postings are verified against their checksum
    /// the first time any of them is used.
    func postingsBytes(_ t: TermInfo) throws -> UnsafeRawBufferPointer {
        let s = sections[IndexFormat.Section.postings.rawValue]
        guard t.postingsOffset + t.postingsLength <= s.length, t.postingsLength >= 1 else {
            throw IndexError.corrupt(path: path, detail: "posting list of term \(t.ordinal) out of bounds")
        }
        let block = t.ordinal / IndexFormat.termsPerBlock
        let word = block >> 6
        let bit = UInt64(1) << UInt64(block & 63)
        if verifiedBlocks[word] & bit == 0 {
            let entry = termIndexEntry(block)
            let end = block + 1 < termBlockCount ? termIndexEntry(block + 1).postings : s.length
            guard entry.postings <= end, end <= s.length,
                Checksum.crc32c(UnsafeRawBufferPointer(start: section(.postings) + entry.postings, count: end - entry.postings)) == entry.crc
            else {
                throw IndexError.corrupt(path: path, detail: "checksum mismatch in the postings of \"\(term(t.ordinal))\"")
            }
            verifiedBlocks[word] |= bit
        }
        return UnsafeRawBufferPointer(start: section(.postings) + t.postingsOffset, count: t.postingsLength)
    }

    public func postings(_ t: TermInfo) throws -> PostingsCursor {
        PostingsCursor(bytes: try postingsBytes(t), docFreq: t.docFreq)
    }

    // MARK: Documents

    /// The external id of a document.
    public func documentID(_ number: Int) throws -> String {
        try withDocumentID(number) { String(decoding: $0, as: UTF8.self) }
    }

    /// The external id's UTF-8 bytes, in place.
    public func withDocumentID<T>(_ number: Int, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        precondition(number >= 0 && number < documentCount, "document number out of range")
        let offsets = section(.idOffsets)
        let lo = Int(UInt32(littleEndian: offsets.loadUnaligned(fromByteOffset: number * 4, as: UInt32.self)))
        let hi = Int(UInt32(littleEndian: offsets.loadUnaligned(fromByteOffset: number * 4 + 4, as: UInt32.self)))
        guard lo <= hi, hi <= sections[IndexFormat.Section.idBlob.rawValue].length else {
            throw IndexError.corrupt(path: path, detail: "id of document \(number) out of bounds")
        }
        return try body(UnsafeRawBufferPointer(start: section(.idBlob) + lo, count: hi - lo))
    }

    private var blockCount: Int { sections[IndexFormat.Section.blockIndex.rawValue].length / IndexFormat.blockIndexEntrySize }

    private func blockEntry(_ b: Int) -> (offset: Int, packed: Int, raw: Int, firstDoc: Int, crc: UInt32) {
        let e = section(.blockIndex) + b * IndexFormat.blockIndexEntrySize
        func u32(_ o: Int) -> Int { Int(UInt32(littleEndian: e.loadUnaligned(fromByteOffset: o, as: UInt32.self))) }
        return (
            Int(UInt64(littleEndian: e.loadUnaligned(as: UInt64.self))), u32(8), u32(12), u32(16),
            UInt32(u32(20))
        )
    }

    /// A stored document (its block is verified and decompressed).
    public func document(_ number: Int) throws -> StoredDocument {
        let id = try documentID(number)
        guard storesText else { throw IndexError.textNotStored(path) }
        // The last block whose first document is ≤ number.
        var lo = 0
        var hi = blockCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if blockEntry(mid).firstDoc <= number { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { throw IndexError.corrupt(path: path, detail: "no stored block for document \(number)") }
        let e = blockEntry(lo - 1)
        let store = sections[IndexFormat.Section.docBlocks.rawValue]
        guard e.offset + e.packed <= store.length else {
            throw IndexError.corrupt(path: path, detail: "stored block of document \(number) out of bounds")
        }
        let packed = UnsafeRawBufferPointer(start: section(.docBlocks) + e.offset, count: e.packed)
        guard Checksum.crc32c(packed) == e.crc else {
            throw IndexError.corrupt(path: path, detail: "checksum mismatch in the stored block of document \(number)")
        }
        var raw = [UInt8](repeating: 0, count: e.raw)
        let n = raw.withUnsafeMutableBytes { r1_inflate(packed.baseAddress, packed.count, $0.baseAddress, $0.count) }
        guard n == e.raw else { throw IndexError.corrupt(path: path, detail: "stored block of document \(number) does not decompress") }
        return try raw.withUnsafeBytes { body in
            var i = 0
            var fields: [String] = []
            for k in 0..<(2 * (number - e.firstDoc + 1)) {
                guard let len = Varint.readChecked(body, &i), i + Int(len) <= body.count else {
                    throw IndexError.corrupt(path: path, detail: "malformed stored document \(number)")
                }
                if k >= 2 * (number - e.firstDoc) {
                    fields.append(String(decoding: UnsafeRawBufferPointer(rebasing: body[i..<i + Int(len)]), as: UTF8.self))
                }
                i += Int(len)
            }
            return StoredDocument(number: number, id: id, title: fields[0], text: fields[1])
        }
    }

    /// Finds a document by its external id (binary search over the id order).
    public func documentNumber(forID id: String) throws -> Int? {
        let order = section(.idOrder)
        let key = Array(id.utf8)
        var lo = 0
        var hi = documentCount
        while lo < hi {
            let mid = (lo + hi) / 2
            let doc = Int(UInt32(littleEndian: order.loadUnaligned(fromByteOffset: mid * 4, as: UInt32.self)))
            let other = Array(try documentID(doc).utf8)
            if other == key { return doc }
            if other.lexicographicallyPrecedes(key) { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// Verifies every checksum in the file, big sections included, and that nothing follows the last section.
    public func verifyAll() throws {
        let end = sections.map { $0.offset + $0.length }.max() ?? IndexFormat.headerSize
        if size > end {
            throw IndexError.corrupt(path: path, detail: "\(size - end) bytes follow the index's last section (appended to the file?)")
        }
        for s in IndexFormat.Section.allCases {
            let r = sections[s.rawValue]
            if Checksum.crc32c(UnsafeRawBufferPointer(start: base + r.offset, count: r.length)) != r.crc {
                throw IndexError.corrupt(path: path, detail: "checksum mismatch in section \(s.name)")
            }
        }
    }

}
