public struct Rect: Equatable, Sendable {
    public var x, y, width, height: Int
    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < x + width && py >= y && py < y + height }
}

/// Where the panes go: side by side from 100 columns, stacked below that; down to 40×12.
public struct Layout: Sendable {
    public let query: Rect
    public let results: Rect
    public let passage: Rect
    public let reasoning: Rect
    public let status: Rect

    public init(width: Int, height: Int) {
        let w = max(width, 1)
        let h = max(height, 3)
        query = Rect(x: 0, y: 0, width: w, height: 1)
        status = Rect(x: 0, y: h - 1, width: w, height: 1)
        let bodyY = 1
        let bodyH = h - 2
        if w >= 100 {
            let left = w * 9 / 20
            results = Rect(x: 0, y: bodyY, width: left, height: bodyH)
            let top = bodyH * 2 / 5
            passage = Rect(x: left + 1, y: bodyY, width: w - left - 1, height: top)
            reasoning = Rect(x: left + 1, y: bodyY + top, width: w - left - 1, height: bodyH - top)
        } else {
            let r = max(3, bodyH * 2 / 5)
            let p = max(2, (bodyH - r) / 2)
            results = Rect(x: 0, y: bodyY, width: w, height: r)
            passage = Rect(x: 0, y: bodyY + r, width: w, height: p)
            reasoning = Rect(x: 0, y: bodyY + r + p, width: w, height: max(bodyH - r - p, 1))
        }
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
