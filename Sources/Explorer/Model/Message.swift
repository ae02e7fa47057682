import Rerank

/// A key, as KeyDecoder reads it from the terminal's bytes.
public enum Key: Hashable, Sendable {
    case char(Character)
    case ctrl(Character)
    case alt(Character)
    case enter, escape, tab, backTab, backspace, delete
    case up, down, left, right, home, end, pageUp, pageDown
    case function(Int)
}

public enum Message: Equatable, Sendable {
    case key(Key)
    case paste(String)
    case resize(width: Int, height: Int)
    /// Results for a query: BM25's, or with `run` the candidates of that run file (the answer to `.candidates`).
    case searched(query: String, rows: [ResultRow], milliseconds: Double, run: String? = nil)
    /// An engine event of job `generation`.
    case engine(generation: Int, event: RerankEvent)
    /// With two judges: the second judge's event of job `generation`.
    case secondJudge(generation: Int, event: RerankEvent)
    case tick(now: Double)
    case wheel(up: Bool)
    case click(x: Int, y: Int)
    /// The mouse moved with the button held, and the button was let go.
    case drag(x: Int, y: Int)
    case release(x: Int, y: Int)
    /// The documents of each run's ranking of one query (for the side-by-side view), in run order.
    case sideBySide(query: String, columns: [[ResultRow]])
    /// Something the app has to say (a search that failed): shown in the status line.
    case notice(String, isError: Bool)
}

/// Work the update asks the app to do.
public enum Effect: Equatable, Sendable {
    case search(query: String, k: Int)
    /// Show these candidates (a run's ranking of `query`) as the result list, in this order: answered with
    /// `.searched` like a search.
    case candidates(query: String, candidates: [RunSet.Candidate])
    /// Look up the documents of each run's ranking of a query: answered with `.sideBySide`.
    case sideBySide(query: String, ids: [[String]])
    /// Judge these passages (with two judges, both judge them).
    case rerank(generation: Int, query: String, instruction: String?, passages: [Passage])
    case cancelRerank
    /// The running job's passages the user is looking at, most wanted first: the engine starts them next.
    case prioritize(generation: Int, passages: [Int])
    case quit
}
