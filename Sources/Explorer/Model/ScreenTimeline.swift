import Rerank

/// What the top rows showed over a job: when the first direct verdict came, when every top row first had a score
/// of this job, and from when the top stayed as it ended with every row reasoned.
public struct ScreenTimeline: Sendable {
    public let top: Int
    public private(set) var firstDirect: Double?
    public private(set) var topScored: Double?
    /// Since when the top has been unchanged with every row reasoned (nil while it is not).
    private var settledSince: Double?
    private var lastTop: [String] = []

    public init(top: Int) { self.top = top }

    public mutating func note(_ s: ExplorerState, at t: Double) {
        if firstDirect == nil && s.results.contains(where: { $0.direct != nil }) { firstDirect = t }
        let rows = s.ranking.prefix(top).map { s.results[$0] }
        let sources = rows.map { $0.currentScore?.source }
        if topScored == nil && rows.count == min(top, s.results.count) && sources.allSatisfy({ $0 == .direct || $0 == .reasoned }) {
            topScored = t
        }
        let ids = rows.map(\.id)
        let final = sources.allSatisfy { $0 == .reasoned }
        if !final {
            settledSince = nil
        } else if ids != lastTop || settledSince == nil {
            settledSince = t
        }
        lastTop = ids
    }

    /// From when the top, in order, stayed as it ended with every row's verdict in (nil: it never settled).
    public var topFinal: Double? { settledSince }
}
