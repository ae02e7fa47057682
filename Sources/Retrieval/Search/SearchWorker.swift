import Foundation
import Synchronization

/// One helper thread for splitting a query in two: `run` hands it a closure, `wait` returns once it has
/// finished. Between queries the thread polls for the next request for up to `spin` seconds before it
/// sleeps on a semaphore: waking a sleeping thread costs about as much as searching half of a small
/// collection, so back-to-back queries find it awake. The helper's polling yields the core each round, so a
/// client process waiting for a core is not held up by it. The caller's `wait` spins without yielding (the
/// helper is busy with a half of the same size, so the wait is short). `stop` ends the thread.
final class SearchWorker: @unchecked Sendable {
    private let requested = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    // Written by the caller before `requested` is raised (release) and read by the thread after it sees
    // the new count (acquire): the atomic orders the two.
    private var job: (() -> Void)?
    private let spin: Double

    init(spin: Double = 0.002) {
        self.spin = spin
        let thread = Thread { [self] in loop() }
        thread.name = "rank1-search"
        thread.start()
    }

    private func loop() {
        var done = 0
        while !stopping.load(ordering: .acquiring) {
            if requested.load(ordering: .acquiring) > done {
                job?()
                job = nil
                done += 1
                completed.store(done, ordering: .releasing)
                continue
            }
            // Poll for a while, then sleep until `run` or `stop` signals.
            let deadline = monotonicSeconds() + spin
            var found = false
            repeat {
                if requested.load(ordering: .acquiring) > done || stopping.load(ordering: .acquiring) {
                    found = true
                    break
                }
                sched_yield()  // a runnable process on this core (the client) goes first
            } while monotonicSeconds() < deadline
            if found { continue }
            sleeping.store(true, ordering: .sequentiallyConsistent)
            if requested.load(ordering: .sequentiallyConsistent) > done || stopping.load(ordering: .sequentiallyConsistent) {
                // A request came in between: whoever saw `sleeping` may still signal; a spare signal only
                // makes a later sleep return early, and the loop re-checks.
                sleeping.store(false, ordering: .sequentiallyConsistent)
                continue
            }
            wake.wait()
        }
    }

    func run(_ body: @escaping () -> Void) {
        job = body
        requested.add(1, ordering: .sequentiallyConsistent)
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
    }

    func wait() {
        let target = requested.load(ordering: .acquiring)
        while completed.load(ordering: .acquiring) < target {}
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
    }
}
