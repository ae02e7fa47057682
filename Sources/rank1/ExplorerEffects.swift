import Explorer
import Foundation
import Rerank
import Retrieval
import Synchronization

/// Carries out the explorer's effects against the index and the reranker: searches and document lookups are answered
/// at once (fed back through `Explorer.update`), rerank jobs stream their events to `deliver` as `.engine` messages.
/// The curses app and `rank1 bench explorer` drive the explorer through this one path. Used from one thread.
final class ExplorerEffects: @unchecked Sendable {
    let reader: IndexReader
    let searcher: Searcher
    let engine: (any Reranker)?
    /// The judging settings every rerank job starts from (budget, profile, thinking control).
    var settings = RerankRequest(query: "", passages: [])
    /// With two judges: the second, and its settings (its own profile). Two in-process models judge one after the
    /// other (they would share the cores); a server judges beside the first.
    var second: (engine: any Reranker, settings: RerankRequest)?
    /// The newest job: a second judge that waits for the first does not start a job already superseded.
    private let latest = LatestJob()
    /// Where engine events go (any thread).
    let deliver: @Sendable (Message) -> Void
    let log: @Sendable (String) -> Void
    private(set) var searchLatencies: [Double] = []

    init(
        reader: IndexReader, engine: (any Reranker)?, deliver: @escaping @Sendable (Message) -> Void,
        log: @escaping @Sendable (String) -> Void
    ) throws {
        self.reader = reader
        searcher = try Searcher(index: reader)
        self.engine = engine
        self.deliver = deliver
        self.log = log
    }

    func perform(_ effects: [Effect], on state: inout ExplorerState) {
        // Only the last search of a burst matters (keys are drained together).
        let lastSearch = effects.lastIndex { if case .search = $0 { true } else { false } }
        for (i, e) in effects.enumerated() {
            switch e {
            case .search(let query, let k):
                guard i == lastSearch else { continue }
                let t0 = monotonicSeconds()
                var rows: [ResultRow] = []
                do {
                    let hits = try searcher.search(query, k: max(k, 30))
                    for (rank, h) in hits.enumerated() {
                        let d = try reader.document(h.doc)
                        rows.append(ResultRow(id: d.id, title: d.title, text: d.text, bm25Score: h.score, bm25Rank: rank))
                    }
                } catch {
                    log("search failed: \(error)")
                    perform(Explorer.update(&state, .notice("search failed: \(error)", isError: true)), on: &state)
                }
                let ms = (monotonicSeconds() - t0) * 1000
                searchLatencies.append(ms)
                perform(Explorer.update(&state, .searched(query: query, rows: rows, milliseconds: ms)), on: &state)
            case .candidates(let query, let candidates):
                let t0 = monotonicSeconds()
                let rows = documents(candidates.map(\.id), scores: candidates.map(\.score))
                let ms = (monotonicSeconds() - t0) * 1000
                perform(
                    Explorer.update(&state, .searched(query: query, rows: rows, milliseconds: ms, run: state.picker.runs?.names.first)),
                    on: &state)
            case .sideBySide(let query, let ids):
                perform(Explorer.update(&state, .sideBySide(query: query, columns: ids.map { documents($0) })), on: &state)
            case .rerank(let generation, let query, let instruction, let passages):
                guard let engine else { continue }
                latest.value.withLock { $0 = generation }
                func request(_ settings: RerankRequest) -> RerankRequest {
                    var request = settings
                    request.query = query
                    request.instruction = instruction
                    request.passages = passages
                    return request
                }
                let stream = engine.start(request(settings))
                log("rerank job \(generation): \(passages.count) passages for \"\(query)\"")
                let (deliver, log) = (self.deliver, self.log)
                let second = self.second.map { ($0.engine, request($0.settings)) }
                let after = second != nil && engine is LlamaReranker && second?.0 is LlamaReranker
                if let second, !after { Self.forward(second.0.start(second.1), generation, deliver) }
                Task.detached { [latest] in
                    for await event in stream {
                        if case .verdict(let v) = event { log("job \(generation): verdict for passage \(v.passage): \(v.score)") }
                        if case .finished(let st) = event { log("job \(generation): finished, \(st.judged) judged in \(st.seconds) s") }
                        deliver(.engine(generation: generation, event: event))
                    }
                    if let second, after, latest.value.withLock({ $0 == generation }) { Self.forward(second.0.start(second.1), generation, deliver) }
                }
            case .prioritize(let generation, let passages):
                if generation == state.generation {
                    engine?.prioritize(passages)
                    second?.engine.prioritize(passages)
                }
            case .cancelRerank:
                latest.value.withLock { $0 = -1 }  // no second judge starts after this
                engine?.cancel()
                second?.engine.cancel()
            case .quit:
                break  // update set `quit`; the app's loop ends on it
            }
        }
    }

    /// The second judge's events, as `.secondJudge` messages.
    static func forward(_ stream: AsyncStream<RerankEvent>, _ generation: Int, _ deliver: @escaping @Sendable (Message) -> Void) {
        Task.detached { for await event in stream { deliver(.secondJudge(generation: generation, event: event)) } }
    }

    /// A run's candidates as result rows, in the run's order, with the run's scores where given. Ids were checked
    /// against the index when the run was opened.
    func documents(_ ids: [String], scores: [Double] = []) -> [ResultRow] {
        ids.enumerated().compactMap { rank, id in
            do {
                guard let n = try reader.documentNumber(forID: id) else { return nil }
                let d = try reader.document(n)
                return ResultRow(id: d.id, title: d.title, text: d.text, bm25Score: rank < scores.count ? Float(scores[rank]) : 0, bm25Rank: rank)
            } catch {
                log("document \(id): \(error)")
                return nil
            }
        }
    }
}

/// The newest rerank job's generation, shared with the tasks that forward its events.
final class LatestJob: Sendable {
    let value = Mutex(0)
}
