/// The `q` quantile (0…1) of `values` by linear interpolation between the nearest ranks (q = 0.5: the median,
/// the mean of the middle two for an even count); NaN for no values.
public func percentile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    let position = min(max(q, 0), 1) * Double(s.count - 1)
    let low = Int(position.rounded(.down))
    let high = Int(position.rounded(.up))
    return s[low] + (s[high] - s[low]) * (position - Double(low))
}

public func median(_ values: [Double]) -> Double { percentile(values, 0.5) }
