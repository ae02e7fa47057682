/// Appends a query's hits as TREC lines (`qid Q0 docid rank score tag`), without building a String per line
/// (the serve loop's per-query cost is mostly this formatting).
public func appendTRECLines(_ hits: [Hit], qid: String, tag: String, reader: IndexReader, to out: inout [UInt8]) throws {
    let head = Array((qid + " Q0 ").utf8)
    let tail = Array((" " + tag + "\n").utf8)
    var digits = [UInt8](repeating: 0, count: 20)
    for (i, h) in hits.enumerated() {
        out.append(contentsOf: head)
        try reader.withDocumentID(h.doc) { out.append(contentsOf: $0) }
        out.append(0x20)
        var r = i + 1
        var n = 0
        repeat {
            digits[n] = UInt8(48 + r % 10)
            r /= 10
            n += 1
        } while r > 0
        while n > 0 {
            n -= 1
            out.append(digits[n])
        }
        out.append(0x20)
        out.append(contentsOf: h.score.description.utf8)
        out.append(contentsOf: tail)
    }
}
