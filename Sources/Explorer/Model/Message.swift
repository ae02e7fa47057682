import Rerank

/// A key, decoded by the terminal adapter.
public enum Key: Equatable, Sendable {
    case char(Character)
    case ctrl(Character)
    case enter, escape, tab, backTab, backspace, delete
    case up, down, left, right, home, end, pageUp, pageDown
    case function(Int)
}

public enum Message: Sendable {
    case key(Key)
    case paste(String)
    case resize(width: Int, height: Int)
    /// BM25 results for a query.
    case searched(query: String, rows: [ResultRow], milliseconds: Double)
    /// An engine event of job `generation`.
    case engine(generation: Int, event: RerankEvent)
    case tick(now: Double)
    case wheel(up: Bool)
    case click(x: Int, y: Int)
}

/// Work the update asks the app to do.
public enum Effect: Equatable, Sendable {
    case search(query: String, k: Int)
    case rerank(generation: Int, query: String, instruction: String?, passages: [Passage])
    case cancelRerank
    case quit
}
