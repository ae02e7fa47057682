import Foundation
import Testing

@testable import Rerank

/// The evaluation journal's edges: damage reported where it is, a torn last line dropped, one writer per folder.
@Suite struct JournalTests {
    static let settings = ["judge": "test"]

    static func entry(_ doc: String) -> JudgmentJournal.Entry {
        JudgmentJournal.Entry(query: "q", doc: doc, status: "judged", score: 0.5, settings: "s")
    }

    /// A folder whose journal holds one judgment (and is closed), and a handle that appends to it.
    static func journalWithOneJudgment() throws -> (String, FileHandle) {
        let dir = RerankFixtures.tempDir()
        let j = try JudgmentJournal(directory: dir, settings: JournalTests.settings)
        try j.append(JournalTests.entry("a"))
        j.close()
        let h = try #require(FileHandle(forWritingAtPath: dir + "/journal.jsonl"))
        try h.seekToEnd()
        return (dir, h)
    }

    @Test func aWholeLineThatIsNotAJudgmentIsDamageAtItsLine() throws {
        let (dir, h) = try JournalTests.journalWithOneJudgment()
        try h.write(contentsOf: Data("{\"query\": \"q\"}\n".utf8))  // complete, newline and all, yet no judgment
        try h.close()
        #expect {
            try JudgmentJournal(directory: dir, settings: JournalTests.settings)
        } throws: { error in
            "\(error)".contains("journal.jsonl:3: not a judgment")
        }
    }

    @Test func aTornLastLineIsDroppedAndSaid() throws {
        let (dir, h) = try JournalTests.journalWithOneJudgment()
        try h.write(contentsOf: Data("{\"query\": \"q\", \"doc\": \"b\", \"sta".utf8))  // the kill came mid-write
        try h.close()
        let j = try JudgmentJournal(directory: dir, settings: JournalTests.settings)
        #expect(j.tornBytes == 31 && j.judged["q"]?.keys.sorted() == ["a"])
    }

    @Test func oneWriterPerFolder() throws {
        let dir = RerankFixtures.tempDir()
        var first: JudgmentJournal? = try JudgmentJournal(directory: dir, settings: JournalTests.settings)
        #expect(first?.tookOverFrom == nil)
        #expect {
            try JudgmentJournal(directory: dir, settings: JournalTests.settings)
        } throws: { error in
            "\(error)".contains("is being written by another rank1 eval (process \(getpid()))")
        }
        first = nil  // closed: the folder is free, and says no holder
        let second = try JudgmentJournal(directory: dir, settings: JournalTests.settings)
        #expect(second.tookOverFrom == nil)
    }

    @Test func aLockLeftByAKilledProcessIsTakenOver() throws {
        let dir = RerankFixtures.tempDir()
        // A process that took the lock and was killed: the kernel freed its lock, its id stays in the file.
        let (status, output) = try RerankFixtures.sh(
            "python3 -c 'import fcntl, os, signal; f = open(\"\(dir)/journal.lock\", \"w\"); fcntl.flock(f, fcntl.LOCK_EX); "
                + "f.write(str(os.getpid()) + \"\\n\"); f.flush(); print(os.getpid(), flush=True); os.kill(os.getpid(), signal.SIGKILL)'")
        #expect(status != 0)
        let killed = try #require(output.split(separator: "\n").first.flatMap { Int32($0) }, "\(output)")
        let j = try JudgmentJournal(directory: dir, settings: JournalTests.settings)
        #expect(j.tookOverFrom == killed)
    }
}
