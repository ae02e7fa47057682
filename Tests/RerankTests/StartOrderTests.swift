import Testing

@testable import Rerank

struct StartOrderTests {
    @Test func firstStageOrderUnlessAPassageIsWanted() {
        var o = StartOrder(count: 5)
        #expect(o.next(preferring: []) == 0)
        #expect(o.next(preferring: [3, 1]) == 3)
        #expect(o.peek(preferring: [3, 1]) == 1)  // 3 has started: the next wanted one
        #expect(o.next(preferring: [0, 3]) == 1)  // neither waits: first-stage order
        o.putBack(3)
        #expect(o.waiting == [3, 2, 4])
        #expect(o.next(preferring: [9]) == 3)
        #expect(o.next(preferring: [4]) == 4)
        #expect(o.next(preferring: []) == 2)
        #expect(o.next(preferring: []) == nil && o.isEmpty)
    }
}
