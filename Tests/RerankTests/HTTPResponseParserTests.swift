import Foundation
import Testing

@testable import Rerank

/// The client's HTTP/1.1 response reader, fed responses as servers write them, whole and cut into pieces.
@Suite struct HTTPResponseParserTests {
    /// Feeds `text` in pieces of `step` bytes: the body delivered, the status, whether the connection is kept,
    /// and how many bytes were left after the end (nil: the response did not end).
    private static func read(_ text: String, step: Int = .max) throws -> (body: String, status: Int, keep: Bool, left: Int?) {
        var p = HTTPResponseParser()
        var body: [UInt8] = []
        let bytes = Array(text.utf8)
        var at = 0
        while at < bytes.count {
            let piece = Array(bytes[at..<min(bytes.count, at + step)])
            let used = try piece.withUnsafeBytes { try p.feed($0) { b, _ in body += b } }
            at += piece.count
            if let used { return (String(decoding: body, as: UTF8.self), p.status, p.keepAlive, bytes.count - (at - piece.count + used)) }
        }
        return (String(decoding: body, as: UTF8.self), p.status, p.keepAlive, nil)
    }

    @Test func chunkedBodiesWholeAndInPieces() throws {
        let text =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
            + "b\r\ndata: one\n\n\r\n" + "D;ext=1\r\ndata: three\n\n\r\n" + "0\r\nTrailer: x\r\n\r\n"
        for step in [1, 2, 3, 7, 64, .max] {
            let r = try Self.read(text, step: step)
            #expect(r.body == "data: one\n\ndata: three\n\n" && r.status == 200 && r.keep && r.left == 0, "step \(step)")
        }
    }

    @Test func lengthNoBodyInformationalAndTheConnectionRules() throws {
        let ok = try Self.read("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhelloEXTRA")
        #expect(ok.body == "hello" && ok.keep && ok.left == 5)
        let close = try Self.read("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi")
        #expect(close.body == "hi" && !close.keep && close.left == 0)
        let old = try Self.read("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        #expect(!old.keep)
        let oldKept = try Self.read("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi")
        #expect(oldKept.keep)
        let none = try Self.read("HTTP/1.1 204 No Content\r\n\r\n")
        #expect(none.status == 204 && none.body.isEmpty && none.left == 0)
        let early = try Self.read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop", step: 5)
        #expect(early.status == 404 && early.body == "nop" && early.left == 0)
        // A body that runs until the connection closes never ends here, and the connection is not kept.
        var p = HTTPResponseParser()
        let used = try Array("HTTP/1.1 200 OK\r\n\r\nstream".utf8).withUnsafeBytes { try p.feed($0) { _, _ in } }
        #expect(used == nil && p.endsAtClose() && !p.keepAlive)
    }

    @Test func whatIsNotHTTPIsRefused() {
        for bad in [
            "SSH-2.0-OpenSSH_9.2\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
        ] {
            #expect(throws: URLError.self, "\(bad.prefix(30))") { try Self.read(bad) }
        }
        // A head that never ends is refused past 64 KiB, not kept growing.
        let endless = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Pad: 0123456789\r\n", count: 4000)
        #expect(throws: URLError.self) { try Self.read(endless, step: 4096) }
    }
}
