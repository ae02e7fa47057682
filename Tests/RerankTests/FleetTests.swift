import Testing

@testable import Rerank

/// How a job over several endpoints hands out passages: to the serving endpoint with the most free lanes, never
/// past its lanes, never to one taken out; and when it gives up.
@Suite struct FleetTests {
    @Test func passagesGoToTheLeastLoadedServingEndpoint() {
        var f = Fleet(["a", "b"], lanes: 2, passages: 5)
        var sent: [(Int, Int)] = []
        while let next = f.nextAssignment() { sent.append(next) }
        #expect(sent.map(\.0) == [0, 1, 2, 3])  // 2 lanes × 2 endpoints; passage 4 waits
        #expect(sent.map(\.1) == [0, 1, 0, 1])
        #expect(f.inFlight == [2, 2] && f.queue.waiting == [4])
        f.finished(1, judged: true)
        #expect(f.nextAssignment()! == (4, 1))
        #expect(f.stats[1].judged == 1 && f.stats[0].judged == 0)
    }

    @Test func anEndpointTakenOutGetsNothingUntilItIsBack() {
        var f = Fleet(["a", "b"], lanes: 4, passages: 3)
        f.takeOut(0)
        #expect(f.stats[0].takenOut == 1 && !f.stats[0].up)
        var sent: [Int] = []
        while let (_, e) = f.nextAssignment() { sent.append(e) }
        #expect(sent == [1, 1, 1])
        f.queue.putBack(7)
        f.bringBack(0)
        #expect(f.nextAssignment()! == (7, 0))
        #expect(f.stats[0].up && f.stats[0].takenOut == 1)
    }

    @Test func itGivesUpOnlyWhenEveryEndpointIsOutAndFailedItsRechecks() {
        var f = Fleet(["a", "b"], lanes: 1, passages: 1)
        #expect(f.hasWork)
        f.takeOut(0)
        f.failedChecks[0] = 3
        #expect(!f.allOutForGood(after: 2))  // b still serves
        f.takeOut(1)
        f.failedChecks[1] = 2
        #expect(!f.allOutForGood(after: 2))  // b has not failed more than 2 re-checks
        f.failedChecks[1] = 3
        #expect(f.allOutForGood(after: 2))
        #expect(f.nextAssignment() == nil)
    }
}
