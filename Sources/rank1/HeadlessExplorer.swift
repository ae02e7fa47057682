import Explorer
import Foundation
import Rerank
import Retrieval

/// The explorer without a terminal, for `rank1 bench explorer`: keys through the key map and `Explorer.update`,
/// effects through `ExplorerEffects` (as the curses app), engine events back as messages. Records what the screen
/// would show after each message, timed from the key that asked for judging.
final class HeadlessExplorer: @unchecked Sendable {
    private(set) var state: ExplorerState
    private let effects: ExplorerEffects
    private let messages: AsyncStream<Message>
    private let post: AsyncStream<Message>.Continuation

    init(reader: IndexReader, engine: any Reranker, start: ExplorerStart, width: Int, height: Int) throws {
        (messages, post) = AsyncStream<Message>.makeStream(bufferingPolicy: .unbounded)
        let post = self.post
        effects = try ExplorerEffects(reader: reader, engine: engine, deliver: { post.yield($0) }, log: { _ in })
        effects.settings = start.settings
        state = ExplorerState(setup: start.setup, width: width, height: height)
    }

    /// Types a query and presses the key that searches and reranks; returns the job's times as seen on screen.
    func search(_ query: String, top: Int) async throws -> JobTimes {
        try press(.editQuery, in: .browse)
        send(.paste(query))
        return try await judged(top: top) { try self.press(.apply, in: .queryEditor) }
    }

    /// Opens the instruction editor, replaces the instruction with `text` and applies it (a rerank of the same rows).
    func editInstruction(_ text: String, top: Int) async throws -> JobTimes {
        try press(.editInstruction, in: .browse)
        try press(.clear, in: .instructionEditor)
        send(.paste(text))
        return try await judged(top: top) { try self.press(.apply, in: .instructionEditor) }
    }

    private func press(_ action: Action, in context: KeyContext) throws {
        guard let key = state.keyMap.keys(action, in: context).first else {
            throw RerankError("the key map binds no key to \(action.rawValue) in \(context.rawValue)")
        }
        send(.key(key))
    }

    private func send(_ m: Message) { effects.perform(Explorer.update(&state, m), on: &state) }

    /// Presses the key (`trigger`), then follows the job to its end, noting after each message what the top rows show.
    private func judged(top: Int, _ trigger: () throws -> Void) async throws -> JobTimes {
        let t0 = monotonicSeconds()
        try trigger()
        guard let generation = state.job?.generation else { throw RerankError("the key started no rerank job: \(state.status.message ?? "")") }
        var timeline = ScreenTimeline(top: top)
        var stats: JobStats?
        for await m in messages {
            send(m)
            timeline.note(state, at: monotonicSeconds() - t0)
            if case .engine(generation, .finished(let s)) = m {
                stats = s
                break
            }
        }
        guard let stats else { throw RerankError("the job ended without its statistics") }
        return JobTimes(
            firstDirect: timeline.firstDirect, topScored: timeline.topScored, topFinal: timeline.topFinal,
            promptTokensPerSecond: stats.promptTokensPerSecond, decodeTokensPerSecond: stats.pureDecodeTokensPerSecond,
            promptTokens: stats.promptTokens, reasoningTokens: stats.decodeTokens)
    }
}
