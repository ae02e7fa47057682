import CSupport

/// Seconds on the monotonic clock (for durations; unaffected by wall-clock changes): CSupport's, the one clock.
public func monotonicSeconds() -> Double { r1_monotonic_seconds() }
