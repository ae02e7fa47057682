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
    var postingsCRC: UInt32
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

    private let base: UnsafeRawPointer
    private let size: Int
    private var sections: [(offset: Int, length: Int, crc: UInt32)] = []
    private var verifiedTerms: [UInt64]

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
                    throw IndexError.corrupt(path: file, detail: "section \(IndexFormat.Section(rawValue: i)!.name) lies outside the file (truncated?)")
                }
                sections.append(s)
            }
            for s in IndexFormat.Section.allCases where s.verifiedAtOpen {
                let r = sections[s.rawValue]
                if Checksum.crc32c(UnsafeRawBufferPointer(start: base + r.offset, count: r.length)) != r.crc {
                    throw IndexError.corrupt(path: file, detail: "checksum mismatch in section \(s.name)")
                }
            }
            let expected: [(IndexFormat.Section, Int)] = [
                (.norms, documentCount), (.docOffsets, (documentCount + 1) * 8), (.idOrder, documentCount * 4),
                (.termEntries, termCount * IndexFormat.termEntrySize),
            ]
            for (s, len) in expected where sections[s.rawValue].length != len {
                throw IndexError.corrupt(path: file, detail: "section \(s.name) has the wrong size")
            }
        } catch {
            munmap(p, size)
            throw error
        }
        let m = sections[IndexFormat.Section.meta.rawValue]
        meta = String(decoding: UnsafeRawBufferPointer(start: base + m.offset, count: m.length), as: UTF8.self)
        analyzerName = IndexReader.jsonField(meta, "analyzer") ?? ""
        verifiedTerms = [UInt64](repeating: 0, count: (termCount + 63) / 64)
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

    private func termBytes(_ ordinal: Int) -> UnsafeRawBufferPointer {
        let e = section(.termEntries) + ordinal * IndexFormat.termEntrySize
        let off = Int(UInt64(littleEndian: e.loadUnaligned(as: UInt64.self)))
        let len = Int(UInt32(littleEndian: e.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        return UnsafeRawBufferPointer(start: section(.termBlob) + off, count: len)
    }

    public func term(_ ordinal: Int) -> String { String(decoding: termBytes(ordinal), as: UTF8.self) }

    /// Binary search over the sorted dictionary.
    public func lookup(_ term: String) -> TermInfo? {
        var t = term
        return t.withUTF8 { key -> TermInfo? in
            var lo = 0, hi = termCount
            while lo < hi {
                let mid = (lo + hi) / 2
                let k = termBytes(mid)
                let n = min(k.count, key.count)
                var c = n > 0 ? Int(memcmp(k.baseAddress!, key.baseAddress!, n)) : 0
                if c == 0 { c = k.count - key.count }
                if c == 0 { return info(mid) }
                if c < 0 { lo = mid + 1 } else { hi = mid }
            }
            return nil
        }
    }

    func info(_ ordinal: Int) -> TermInfo {
        let e = section(.termEntries) + ordinal * IndexFormat.termEntrySize
        func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: e.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        return TermInfo(ordinal: ordinal, docFreq: Int(u32(12)), maxTf: u32(28),
                        minNorm: e.load(fromByteOffset: 36, as: UInt8.self),
                        postingsOffset: Int(UInt64(littleEndian: e.loadUnaligned(fromByteOffset: 16, as: UInt64.self))),
                        postingsLength: Int(u32(24)), postingsCRC: u32(32))
    }

    /// The posting list's bytes, verified against its checksum the first time it is used.
    func postingsBytes(_ t: TermInfo) throws -> UnsafeRawBufferPointer {
        let s = sections[IndexFormat.Section.postings.rawValue]
        guard t.postingsOffset + t.postingsLength <= s.length, t.postingsLength >= 4 else {
            throw IndexError.corrupt(path: path, detail: "posting list of term \(t.ordinal) out of bounds")
        }
        let bytes = UnsafeRawBufferPointer(start: section(.postings) + t.postingsOffset, count: t.postingsLength)
        let word = t.ordinal >> 6, bit = UInt64(1) << UInt64(t.ordinal & 63)
        if verifiedTerms[word] & bit == 0 {
            guard Checksum.crc32c(bytes) == t.postingsCRC else {
                throw IndexError.corrupt(path: path, detail: "checksum mismatch in the postings of \"\(term(t.ordinal))\"")
            }
            verifiedTerms[word] |= bit
        }
        return bytes
    }

    public func postings(_ t: TermInfo) throws -> PostingsCursor {
        PostingsCursor(bytes: try postingsBytes(t), docFreq: t.docFreq)
    }

    // MARK: Documents

    public func document(_ number: Int) throws -> StoredDocument {
        precondition(number >= 0 && number < documentCount, "document number out of range")
        let offsets = section(.docOffsets)
        let lo = Int(UInt64(littleEndian: offsets.loadUnaligned(fromByteOffset: number * 8, as: UInt64.self)))
        let hi = Int(UInt64(littleEndian: offsets.loadUnaligned(fromByteOffset: number * 8 + 8, as: UInt64.self)))
        let store = sections[IndexFormat.Section.docStore.rawValue]
        guard lo + 4 <= hi, hi <= store.length else {
            throw IndexError.corrupt(path: path, detail: "document \(number) out of bounds")
        }
        let rec = UnsafeRawBufferPointer(start: section(.docStore) + lo, count: hi - lo)
        let body = UnsafeRawBufferPointer(rebasing: rec[0..<rec.count - 4])
        let crc = UInt32(littleEndian: rec.loadUnaligned(fromByteOffset: rec.count - 4, as: UInt32.self))
        guard Checksum.crc32c(body) == crc else {
            throw IndexError.corrupt(path: path, detail: "checksum mismatch in stored document \(number)")
        }
        var i = 0
        var fields: [String] = []
        for _ in 0..<3 {
            guard let len = Varint.readChecked(body, &i), i + Int(len) <= body.count else {
                throw IndexError.corrupt(path: path, detail: "malformed stored document \(number)")
            }
            fields.append(String(decoding: UnsafeRawBufferPointer(rebasing: body[i..<i + Int(len)]), as: UTF8.self))
            i += Int(len)
        }
        return StoredDocument(number: number, id: fields[0], title: fields[1], text: fields[2])
    }

    /// The external id of a document (reads only the id field).
    public func documentID(_ number: Int) throws -> String { try document(number).id }

    /// Finds a document by its external id (binary search over the id order).
    public func documentNumber(forID id: String) throws -> Int? {
        let order = section(.idOrder)
        var lo = 0, hi = documentCount
        while lo < hi {
            let mid = (lo + hi) / 2
            let doc = Int(UInt32(littleEndian: order.loadUnaligned(fromByteOffset: mid * 4, as: UInt32.self)))
            let other = try documentID(doc)
            if other == id { return doc }
            if Array(other.utf8).lexicographicallyPrecedes(Array(id.utf8)) { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// Verifies every checksum in the file, big sections included.
    public func verifyAll() throws {
        for s in IndexFormat.Section.allCases {
            let r = sections[s.rawValue]
            if Checksum.crc32c(UnsafeRawBufferPointer(start: base + r.offset, count: r.length)) != r.crc {
                throw IndexError.corrupt(path: path, detail: "checksum mismatch in section \(s.name)")
            }
        }
    }

    static func jsonField(_ json: String, _ key: String) -> String? {
        guard let r = json.range(of: "\"\(key)\":\"") else { return nil }
        let rest = json[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
