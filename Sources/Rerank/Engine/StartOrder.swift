import Foundation

/// The order a job's passages start in: first-stage order, except the passages the user is looking at, which go
/// next (`Reranker.prioritize`). Shared by the in-process engine and the remote fleet.
struct StartOrder: Sendable {
    /// Passages not started yet, in first-stage order.
    private(set) var waiting: [Int]

    init(count: Int) { waiting = Array(0..<count) }

    /// The next passage to start: the first wanted one still waiting, else the first waiting.
    mutating func next(preferring wanted: [Int]) -> Int? {
        guard let i = index(preferring: wanted) else { return nil }
        return waiting.remove(at: i)
    }

    /// The passage `next` would give, without taking it.
    func peek(preferring wanted: [Int]) -> Int? { index(preferring: wanted).map { waiting[$0] } }

    /// Puts a passage back at the front (a remote judgment sent again).
    mutating func putBack(_ p: Int) { waiting.insert(p, at: 0) }

    mutating func removeAll() { waiting.removeAll() }

    /// Takes a passage out without starting it (the trace cache answered it).
    mutating func remove(_ p: Int) { waiting.removeAll { $0 == p } }

    var isEmpty: Bool { waiting.isEmpty }

    private func index(preferring wanted: [Int]) -> Int? {
        for w in wanted { if let i = waiting.firstIndex(of: w) { return i } }
        return waiting.isEmpty ? nil : 0
    }
}

/// The passages the user wants first, set from any thread while a job runs and read by its engine.
final class WantedPassages: @unchecked Sendable {
    private let lock = NSLock()
    private var passages: [Int] = []
    func set(_ p: [Int]) { lock.withLock { passages = p } }
    var value: [Int] { lock.withLock { passages } }
}
