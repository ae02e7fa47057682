public struct Rect: Equatable, Sendable {
    public var x, y, width, height: Int
    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < x + width && py >= y && py < y + height }
}

/// Where the panes go: side by side from 100 columns, stacked below that; down to 40×12. `split` moves the
/// divider between the list and the passage pane (columns when side by side, rows when stacked) from its default,
/// within bounds that keep every pane usable.
public struct Layout: Sendable {
    public let query: Rect
    public let results: Rect
    public let passage: Rect
    public let reasoning: Rect
    public let status: Rect
    public let sideBySide: Bool
    /// The split actually used (the one asked for, kept within bounds).
    public let split: Int
    private let base: Int

    public init(width: Int, height: Int, split: Int = 0) {
        let w = max(width, 1)
        let h = max(height, 3)
        query = Rect(x: 0, y: 0, width: w, height: 1)
        status = Rect(x: 0, y: h - 1, width: w, height: 1)
        let bodyY = 1
        let bodyH = h - 2
        sideBySide = w >= 100
        if sideBySide {
            base = w * 9 / 20
            let left = (base + split).clamped(to: 24...max(24, w - 36))
            self.split = left - base
            results = Rect(x: 0, y: bodyY, width: left, height: bodyH)
            let top = bodyH * 2 / 5
            passage = Rect(x: left + 1, y: bodyY, width: w - left - 1, height: top)
            reasoning = Rect(x: left + 1, y: bodyY + top, width: w - left - 1, height: bodyH - top)
        } else {
            base = max(3, bodyH * 2 / 5)
            let r = (base + split).clamped(to: 3...max(3, bodyH - 5))
            self.split = r - base
            let p = max(2, (bodyH - r) / 2)
            results = Rect(x: 0, y: bodyY, width: w, height: r)
            passage = Rect(x: 0, y: bodyY + r, width: w, height: p)
            reasoning = Rect(x: 0, y: bodyY + r + p, width: w, height: max(bodyH - r - p, 1))
        }
    }

    /// Whether (x, y) is on the divider: the column between the panes, or the passage pane's header row.
    public func onDivider(x: Int, y: Int) -> Bool {
        sideBySide ? x == results.width && y > query.y && y < status.y : y == passage.y
    }

    /// The split that puts the divider at (x, y) (kept within bounds when used).
    public func split(toward x: Int, _ y: Int) -> Int {
        sideBySide ? x - base : y - results.y - base
    }

    /// The first result row shown so that `selected` stays visible.
    public func firstVisible(selected: Int, count: Int) -> Int {
        let rows = max(results.height - 1, 1)
        return max(0, min(selected - rows + 1 + max(0, rows / 2 - 1), count - rows)).clamped(to: 0...max(0, selected))
    }
}

extension Comparable {
    func clamped(to r: ClosedRange<Self>) -> Self { min(max(self, r.lowerBound), r.upperBound) }
}
