import Testing

@testable import Retrieval

/// The posting list codec: bit-packed full blocks, varint tails, skip tables.
@Suite struct PostingsCodecTests {
    @Test(arguments: Array(0...32))
    func bitPackingRoundTripsEveryWidth(_ width: Int) {
        var g = SplitMix64(seed: UInt64(width))
        let mask: UInt64 = width == 0 ? 0 : (1 << UInt64(width)) - 1
        let values = (0..<IndexFormat.blockSize).map { _ in UInt32(truncatingIfNeeded: g.next() & mask) }
        #expect(BitPacking.width(values) <= width)
        var bytes: [UInt8] = []
        BitPacking.append(values, width: width, to: &bytes)
        #expect(bytes.count == BitPacking.byteCount(values.count, width: width))
        let out = UnsafeMutablePointer<UInt32>.allocate(capacity: values.count)
        defer { out.deallocate() }
        // Both paths: byte by byte (no spare bytes after the block) and word loads (8 spare bytes).
        for spare in [0, 8] {
            var i = 0
            let padded = bytes + [UInt8](repeating: 0xFF, count: spare)
            padded.withUnsafeBufferPointer {
                BitPacking.read($0.baseAddress!, &i, count: values.count, width: width, into: out, available: padded.count)
            }
            #expect(i == bytes.count)
            #expect(Array(UnsafeBufferPointer(start: out, count: values.count)) == values)
        }
    }

    /// Lists of every shape (one doc, just under/over a block, many blocks; dense, medium and sparse gaps, so
    /// one-, two- and three-byte varints in the tail block; tf 1, one-byte tfs around 128 and huge tfs; doc 0
    /// first) decode to what was encoded, by next() and by advance(to:).
    @Test func postingListsRoundTrip() {
        var g = SplitMix64(seed: 42)
        for df in [1, 2, 127, 128, 129, 255, 256, 257, 1000] {
            for maxGap: UInt32 in [3, 5_000, 1_000_000] {
                var docs: [UInt32] = []
                var doc: UInt32 = g.next() % 2 == 0 ? 0 : UInt32(g.next() % 50)
                for _ in 0..<df {
                    docs.append(doc)
                    doc += 1 + UInt32(g.next() % UInt64(maxGap))
                }
                let tfs = docs.map { _ -> UInt32 in
                    switch g.next() % 6 {
                    case 0: UInt32(1 + g.next() % 100_000)
                    case 1, 2: UInt32(2 + g.next() % 200)
                    default: 1
                    }
                }
                var bytes: [UInt8] = []
                IndexWriter.encodePostings(docs, tfs, into: &bytes)
                bytes.withUnsafeBytes { raw in
                    let c = PostingsCursor(bytes: raw, docFreq: df)
                    var seen: [(UInt32, UInt32)] = []
                    c.next()
                    while c.doc != PostingsCursor.exhausted {
                        seen.append((UInt32(c.doc), c.tf))
                        c.next()
                    }
                    #expect(seen.map(\.0) == docs, "df \(df) max gap \(maxGap)")
                    #expect(seen.map(\.1) == tfs, "df \(df) max gap \(maxGap)")
                    // advance(to:) lands on the first doc ≥ target, across block boundaries.
                    let a = PostingsCursor(bytes: raw, docFreq: df)
                    a.next()
                    for k in stride(from: 0, to: df, by: max(1, df / 7)) {
                        a.advance(to: Int32(docs[k]))
                        #expect(a.doc == Int32(docs[k]) && a.tf == tfs[k])
                    }
                    a.advance(to: Int32(docs[df - 1]) + 1)
                    #expect(a.doc == PostingsCursor.exhausted)
                }
            }
        }
    }

    /// Full blocks are packed: a list of 128 docs with gaps of 1 and tf 1 takes two width bytes.
    @Test func denseFullBlockPacksToWidthBytesOnly() {
        var bytes: [UInt8] = []
        IndexWriter.encodePostings((0..<128).map { UInt32($0) }, Array(repeating: 1, count: 128), into: &bytes)
        #expect(bytes == [0, 0])
    }
}
