import Foundation
import Prometheus
import Rerank

/// The service's numbers, in Prometheus's text format at `/metrics`: requests by route and status, judgments and
/// tokens, the last job's decode speed, the queue's depth, failures by kind, request durations.
public final class ServiceMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let judgments: Counter
    private let cachedJudgments: Counter
    private let tokens: Counter
    private let tokensPerSecond: Gauge
    private let depth: Gauge
    private let durations: DurationHistogram

    /// Why a request did not get its answer (the `kind` label of `rank1_failures_total`).
    public enum Failure: String, CaseIterable, Sendable {
        case badRequest = "bad_request"
        case tooLarge = "too_large"
        case unauthorized
        case queueFull = "queue_full"
        case deadline
        case cancelled, judgment
        case notReady = "not_ready"
    }

    private static var failures: MetricNameDescriptor {
        .init(namespace: "rank1", metricName: "failures", unitName: "total", helpText: "Requests that did not get their answer, by why.")
    }
    private static var requests: MetricNameDescriptor {
        .init(namespace: "rank1", metricName: "requests", unitName: "total", helpText: "HTTP requests answered.")
    }

    public init() {
        judgments = registry.makeCounter(
            descriptor: .init(namespace: "rank1", metricName: "judgments", unitName: "total", helpText: "Verdicts given (cached ones included)."))
        cachedJudgments = registry.makeCounter(
            descriptor: .init(namespace: "rank1", metricName: "judgments_cached", unitName: "total", helpText: "Verdicts the trace cache answered."))
        tokens = registry.makeCounter(
            descriptor: .init(
                namespace: "rank1", metricName: "reasoning_tokens", unitName: "total", helpText: "Reasoning tokens of the verdicts given."))
        tokensPerSecond = registry.makeGauge(
            descriptor: .init(
                namespace: "rank1", metricName: "decode_tokens", unitName: "per_second", helpText: "Decode speed of the last finished job."))
        depth = registry.makeGauge(
            descriptor: .init(namespace: "rank1", metricName: "queue", unitName: "depth", helpText: "Requests waiting for the judge and running."))
        durations = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "rank1", metricName: "request_duration", unitName: "seconds",
                helpText: "Rerank and search requests, from arrival to answer."),
            buckets: [0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300].map { .milliseconds(Int64($0 * 1000)) })
        for kind in Failure.allCases { _ = failureCounter(kind) }
    }

    private func failureCounter(_ kind: Failure) -> Counter {
        registry.makeCounter(descriptor: ServiceMetrics.failures, labels: [("kind", kind.rawValue)])
    }

    public func request(route: String, status: Int, seconds: Double?) {
        registry.makeCounter(descriptor: ServiceMetrics.requests, labels: [("route", route), ("status", String(status))]).increment()
        if let seconds { durations.record(.milliseconds(Int64(seconds * 1000))) }
    }

    public func failure(_ kind: Failure) { failureCounter(kind).increment() }

    func queueDepth(_ n: Int) { depth.set(Double(n)) }

    func event(_ e: RerankEvent) {
        switch e {
        case .verdict(let v):
            judgments.increment()
            if v.cached { cachedJudgments.increment() }
            tokens.increment(by: Int64(v.reasoningTokens))
        case .finished(let s) where s.decodeTokens > 0:
            tokensPerSecond.set(s.decodeTokensPerSecond)
        default: break
        }
    }

    public func text() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
