import CSupport

#if canImport(Glibc)
    import Glibc
#endif

public struct IndexBuildOptions: Sendable {
    /// Posting bytes held in memory before a run is spilled to a temporary file.
    public var memoryBudgetBytes: Int = 256 << 20
    /// Free-form provenance stored in the index (e.g. the corpus path and format).
    public var source: String = ""
    /// Whether titles and texts are stored for display and reranking. Without them the index holds what
    /// Lucene's docs-and-freqs index holds (ids, norms, terms, postings): smaller, search only.
    public var storeText: Bool = true
    public init() {}
}

public struct IndexBuildReport: Sendable {
    public var documents: Int
    public var documentsWithTerms: Int
    public var terms: Int
    public var tokens: UInt64
    public var runs: Int
    public var bytes: Int
    public var path: String
}

/// Builds an index in one streaming pass: documents go straight to the document store on disk, postings
/// accumulate per term in memory and are spilled to run files past the memory budget, then merged into
/// the final file. The result appears atomically (rename) only when complete.
public final class IndexWriter {
    public let directory: String
    public let analyzer: any Analyzer
    private let options: IndexBuildOptions
    private let finalPath: String
    private let tempPath: String
    private let out: FileWriter

    private let compressor: BlockCompressor
    private var blockRaw: [UInt8] = []
    private var blockFirstDoc = 0
    private var ids = ByteStringTable(capacity: 1 << 14)
    private var docCount = 0

    // Term dictionary and the cache of raw token → term id (-1: dropped by analysis).
    private var terms = ByteStringTable(capacity: 1 << 16)
    private var rawTokens = ByteStringTable(capacity: 1 << 16)
    private var rawToTerm: [Int32] = []
    private static let rawCacheLimit = 1 << 22

    // Postings are built on a second thread from batches of analysed documents.
    private let accumulator: PostingsAccumulator
    private var batch = PostingsAccumulator.Batch()
    private static let batchDocuments = 256

    public init(directory: String, analyzer: any Analyzer = EnglishAnalyzer(), options: IndexBuildOptions = .init()) throws {
        self.directory = directory
        self.analyzer = analyzer
        self.options = options
        try FileSystem.makeDirectories(directory)
        IndexWriter.removeStaleTemporaries(in: directory)
        finalPath = directory + "/" + IndexFormat.fileName
        tempPath = finalPath + ".tmp-\(getpid())"
        out = try FileWriter(path: tempPath)
        try out.write([UInt8](repeating: 0, count: IndexFormat.headerSize))
        out.beginSection()
        compressor = BlockCompressor(out: out)
        accumulator = PostingsAccumulator(directory: directory, memoryBudget: options.memoryBudgetBytes)
    }

    deinit {  // a writer dropped without finish() or abandon() still ends its threads
        accumulator.close()
        compressor.close()
    }

    /// Temporary files of builds whose process is gone (killed mid-build).
    static func removeStaleTemporaries(in directory: String) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            guard name.hasPrefix(IndexFormat.fileName + ".tmp-") || name.hasPrefix(".r1run-") else { continue }
            let pidText =
                name.hasPrefix(".r1run-")
                ? String(name.dropFirst(7).prefix(while: { $0 != "-" }))
                : String(name.dropFirst(IndexFormat.fileName.count + 5))
            if let pid = Int32(pidText), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                stale.append(directory + "/" + name)
            }
        }
        for path in stale { unlink(path) }
    }

    public var documentCount: Int { docCount }

    /// Adds one document. A duplicate id is refused (nothing of that document is kept).
    public func add(_ doc: SourceDocument) throws {
        var idText = doc.id
        let (_, inserted) = idText.withUTF8 { ids.id(for: $0) }
        guard inserted else { throw CorpusError(doc.location, "duplicate document id \"\(doc.id)\"") }

        // Document store: title and text go into the current compressed block.
        if blockRaw.isEmpty { blockFirstDoc = docCount }
        for field in options.storeText ? [doc.title, doc.text] : [] {
            var f = field
            f.withUTF8 { b in
                Varint.append(UInt64(b.count), to: &blockRaw)
                blockRaw.append(contentsOf: b)
            }
        }

        // Analysis here; term frequencies and postings on the accumulator's thread.
        var text = doc.scoringText
        text.withUTF8 { buf in
            analyzer.forEachRawToken(in: buf) { raw in
                let term = termID(raw)
                if term >= 0 { batch.termIDs.append(term) }
            }
        }
        batch.ends.append(batch.termIDs.count)
        docCount += 1
        if blockRaw.count >= IndexFormat.docBlockBytes { try flushDocBlock() }
        if batch.ends.count >= IndexWriter.batchDocuments { try sendBatch() }
    }

    private func sendBatch() throws {
        batch.termCount = terms.count
        let full = batch
        batch = PostingsAccumulator.Batch()
        batch.termIDs.reserveCapacity(full.termIDs.count)
        batch.ends.reserveCapacity(IndexWriter.batchDocuments)
        try accumulator.submit(full)
    }

    /// Hands the pending document records to the compressor as one block.
    private func flushDocBlock() throws {
        if blockRaw.isEmpty { return }
        try compressor.submit(blockRaw, firstDoc: blockFirstDoc)
        blockRaw.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private func termID(_ raw: UnsafeBufferPointer<UInt8>) -> Int32 {
        if let cached = rawTokens.find(raw) { return rawToTerm[cached] }
        let term: Int32
        if let normalized = analyzer.normalize(raw) {
            term = normalized.withUnsafeBufferPointer { b in
                Int32(terms.id(for: b).id)
            }
        } else {
            term = -1
        }
        if rawTokens.count < IndexWriter.rawCacheLimit {
            _ = rawTokens.id(for: raw)
            rawToTerm.append(term)
        }
        return term
    }

    /// Writes the remaining sections and the header, then moves the file into place.
    @discardableResult
    public func finish() throws -> IndexBuildReport {
        try flushDocBlock()
        if !batch.ends.isEmpty { try sendBatch() }
        try accumulator.finish()
        let blockIndex = try compressor.finish()
        var postings = accumulator.takePostings()
        let norms = accumulator.norms
        let runs = accumulator.runs
        let totalTokens = accumulator.totalTokens
        let fieldDocCount = accumulator.fieldDocCount
        var sections = [(offset: UInt64, length: UInt64, crc: UInt32)](repeating: (0, 0, 0), count: IndexFormat.Section.allCases.count)
        func close(_ s: IndexFormat.Section, from start: UInt64) {
            sections[s.rawValue] = (start, out.position - start, out.sectionCRC)
        }
        close(.docBlocks, from: UInt64(IndexFormat.headerSize))

        // Postings, merged over spilled runs and what is still in memory, in term byte order; the
        // dictionary is built alongside, 32 terms to a block.
        let order = sortedTermOrder()
        var mappedRuns: [UnsafeRawBufferPointer] = []
        defer {
            for m in mappedRuns where m.count > 0 { munmap(UnsafeMutableRawPointer(mutating: m.baseAddress!), m.count) }
            for r in runs { unlink(r.path) }
        }
        for r in runs { mappedRuns.append(try IndexWriter.mapFile(r.path)) }
        var dict: [UInt8] = []
        var termIndex: [UInt8] = []
        var docs: [UInt32] = []
        var tfs: [UInt32] = []
        var encoded: [UInt8] = []
        var previous = ArraySlice<UInt8>()
        var termCount = 0
        var blockCRC: UInt32 = 0
        var start = out.position
        out.beginSection()
        for t in order {
            docs.removeAll(keepingCapacity: true)
            tfs.removeAll(keepingCapacity: true)
            for (r, run) in runs.enumerated() where t < run.chunks.count {  // later terms are absent from earlier runs
                let (off, len) = run.chunks[t]
                if len > 0 { IndexWriter.decodeChunk(UnsafeRawBufferPointer(rebasing: mappedRuns[r][Int(off)..<Int(off) + Int(len)]), &docs, &tfs) }
            }
            if !postings[t].isEmpty { postings[t].withUnsafeBytes { IndexWriter.decodeChunk($0, &docs, &tfs) } }
            if docs.isEmpty { continue }
            postings[t] = []
            var maxTf: UInt32 = 0
            var minNorm: UInt8 = 255
            for i in docs.indices {
                maxTf = max(maxTf, tfs[i])
                minNorm = min(minNorm, norms[Int(docs[i])])
            }
            IndexWriter.encodePostings(docs, tfs, into: &encoded)
            let key = terms.key(t)
            if termCount % IndexFormat.termsPerBlock == 0 {
                if termCount > 0 { termIndex.storeLE(blockCRC, at: termIndex.count - 12) }
                blockCRC = 0
                termIndex.appendLE(UInt32(dict.count))
                termIndex.appendLE(UInt32(0))  // CRC, filled in when the block is complete
                termIndex.appendLE(out.position - start)
                previous = []
            }
            let prefix = zip(previous, key).prefix(while: { $0 == $1 }).count
            Varint.append(UInt32(prefix), to: &dict)
            Varint.append(UInt32(key.count - prefix), to: &dict)
            dict.append(contentsOf: key.dropFirst(prefix))
            Varint.append(UInt32(docs.count), to: &dict)
            Varint.append(UInt32(encoded.count), to: &dict)
            Varint.append(maxTf, to: &dict)
            dict.append(minNorm)
            blockCRC = Checksum.crc32c(encoded, seed: blockCRC)
            try out.write(encoded)
            previous = key
            termCount += 1
        }
        if termCount > 0 { termIndex.storeLE(blockCRC, at: termIndex.count - 12) }
        close(.postings, from: start)

        func section(_ s: IndexFormat.Section, _ bytes: [UInt8]) throws {
            start = out.position
            out.beginSection()
            try out.write(bytes)
            close(s, from: start)
        }
        try section(.blockIndex, blockIndex)
        guard ids.arena.count < Int(UInt32.max) else { throw IndexError.badInput("document ids total more than 4 GiB") }
        try section(.idBlob, ids.arena)
        var u32s: [UInt8] = []
        u32s.reserveCapacity((docCount + 1) * 4)
        for o in ids.starts { u32s.appendLE(UInt32(o)) }
        try section(.idOffsets, u32s)
        u32s.removeAll(keepingCapacity: true)
        for d in sortedIDOrder() { u32s.appendLE(UInt32(d)) }
        try section(.idOrder, u32s)
        try section(.norms, norms)
        try section(.termDict, dict)
        try section(.termIndex, termIndex)
        let meta = IndexMeta(analyzer: analyzer.name, store: options.storeText ? "text" : "none", source: options.source)
        try section(.meta, Array(try meta.encoded()))

        // Header last, then sync and rename: a reader sees either the old file or the whole new one.
        var header = IndexFormat.magic
        header.appendLE(IndexFormat.version)
        header.appendLE(UInt32(IndexFormat.headerSize))
        header.appendLE(UInt64(docCount))
        header.appendLE(UInt64(fieldDocCount))
        header.appendLE(totalTokens)
        header.appendLE(UInt64(termCount))
        header.appendLE(UInt32(sections.count))
        header.appendLE(UInt32(0))
        for s in sections {
            header.appendLE(s.offset)
            header.appendLE(s.length)
            header.appendLE(s.crc)
            header.appendLE(UInt32(0))
        }
        header.append(contentsOf: repeatElement(0, count: IndexFormat.headerCRCOffset - header.count))
        header.appendLE(Checksum.crc32c(header))
        try out.patch(at: 0, header)
        try out.sync()
        let size = Int(out.position)
        if rename(tempPath, finalPath) != 0 {
            throw IndexError.io("cannot move \(tempPath) to \(finalPath): \(String(cString: strerror(errno)))")
        }
        let dfd = open(directory, O_RDONLY)
        if dfd >= 0 {
            fsync(dfd)
            Glibc.close(dfd)
        }
        return IndexBuildReport(
            documents: docCount, documentsWithTerms: fieldDocCount, terms: termCount,
            tokens: totalTokens, runs: runs.count, bytes: size, path: finalPath)
    }

    /// Drops the partial file (after an error).
    public func abandon() {
        _ = try? accumulator.finish()
        _ = try? compressor.finish()
        unlink(tempPath)
        for r in accumulator.runs { unlink(r.path) }
    }

    private func sortedTermOrder() -> [Int] {
        terms.arena.withUnsafeBufferPointer { a in
            let starts = terms.starts
            return (0..<terms.count).sorted { x, y in
                compareBytes(a, starts[x], starts[x + 1], starts[y], starts[y + 1]) < 0
            }
        }
    }

    private func sortedIDOrder() -> [Int] {
        ids.arena.withUnsafeBufferPointer { a in
            let starts = ids.starts
            return (0..<ids.count).sorted { x, y in
                compareBytes(a, starts[x], starts[x + 1], starts[y], starts[y + 1]) < 0
            }
        }
    }

    static func decodeChunk(_ chunk: UnsafeRawBufferPointer, _ docs: inout [UInt32], _ tfs: inout [UInt32]) {
        guard let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var i = 0
        var doc: UInt32 = 0
        while i < chunk.count {
            doc &+= Varint.read(base, &i)
            docs.append(doc)
            tfs.append(Varint.read(base, &i))
        }
    }

    /// Documents go in blocks of `blockSize`; a list of more than one block starts with a skip table of
    /// (last doc u32, data offset u32) per block. Gaps count from the previous document (from -1 for the
    /// first), so they are ≥ 1. A full block is bit-packed: a width byte and 128 (gap − 1) values, a width
    /// byte and 128 (tf − 1) values. The last, partial block (most lists are only that) is varints of
    /// (gap − 1) << 1 | (tf == 1), each followed by the tf when it is not 1.
    static func encodePostings(_ docs: [UInt32], _ tfs: [UInt32], into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        let bs = IndexFormat.blockSize
        let blocks = (docs.count + bs - 1) / bs
        let skipStart = out.count
        if blocks > 1 { out.append(contentsOf: repeatElement(0, count: blocks * 8)) }
        let dataStart = out.count
        var prev: Int64 = -1
        var gaps: [UInt32] = []
        gaps.reserveCapacity(bs)
        for b in 0..<blocks {
            let lo = b * bs
            let hi = min(lo + bs, docs.count)
            let offset = UInt32(out.count - dataStart)
            if hi - lo == bs {
                gaps.removeAll(keepingCapacity: true)
                for i in lo..<hi {
                    gaps.append(UInt32(Int64(docs[i]) - prev - 1))
                    prev = Int64(docs[i])
                }
                let gapWidth = BitPacking.width(gaps)
                out.append(UInt8(gapWidth))
                BitPacking.append(gaps, width: gapWidth, to: &out)
                let tfsLessOne = tfs[lo..<hi].lazy.map { $0 - 1 }
                let tfWidth = BitPacking.width(tfsLessOne)
                out.append(UInt8(tfWidth))
                BitPacking.append(tfsLessOne, width: tfWidth, to: &out)
            } else {
                for i in lo..<hi {
                    let gap = UInt32(Int64(docs[i]) - prev - 1)
                    prev = Int64(docs[i])
                    Varint.append(gap << 1 | (tfs[i] == 1 ? 1 : 0), to: &out)
                    if tfs[i] != 1 { Varint.append(tfs[i], to: &out) }
                }
            }
            if blocks > 1 {
                out.storeLE(docs[hi - 1], at: skipStart + b * 8)
                out.storeLE(offset, at: skipStart + b * 8 + 4)
            }
        }
    }

    static func mapFile(_ path: String) throws -> UnsafeRawBufferPointer {
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw IndexError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var st = stat()
        fstat(fd, &st)
        let size = Int(st.st_size)
        if size == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw IndexError.io("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        return UnsafeRawBufferPointer(start: p, count: size)
    }
}

@inline(__always)
func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ x0: Int, _ x1: Int, _ y0: Int, _ y1: Int) -> Int {
    let n = min(x1 - x0, y1 - y0)
    if n > 0 {
        let c = memcmp(a.baseAddress! + x0, a.baseAddress! + y0, n)
        if c != 0 { return Int(c) }
    }
    return (x1 - x0) - (y1 - y0)
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func storeLE<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        Swift.withUnsafeBytes(of: v.littleEndian) { src in
            for i in 0..<src.count { self[offset + i] = src[i] }
        }
    }
}
