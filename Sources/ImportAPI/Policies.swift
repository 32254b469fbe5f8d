/// How often and how long to retry a call that failed for a reason that may pass (429, 5xx,
/// time-outs, dropped connections): exponential backoff with jitter, capped, with a limit.
public struct RetryPolicy: Sendable {
    /// Consecutive failures of one call before the upload gives up (exit 4).
    public var maxAttempts = 8
    public var baseDelay = 1.0
    public var maxDelay = 60.0

    public init() {}

    /// Seconds to wait before attempt `attempt + 1`: base·2^(attempt-1) capped, then a random
    /// 50–100 % of it so that many clients do not retry in step. A `Retry-After` is honoured (up to 10 min).
    public func delay(afterAttempt attempt: Int, retryAfter: Double? = nil) -> Double {
        let exponential = min(maxDelay, baseDelay * Double(1 << min(attempt - 1, 30)))
        let jittered = exponential * Double.random(in: 0.5...1.0)
        guard let retryAfter, retryAfter > 0 else { return jittered }
        return max(jittered, min(retryAfter, 600))
    }
}

/// How often to ask for a job's status while it runs: from `initial`, growing by `factor`, capped.
public struct PollPolicy: Sendable {
    public var initial = 1.0
    public var factor = 1.5
    public var maxInterval = 30.0

    public init() {}

    public func next(after interval: Double) -> Double { min(maxInterval, interval * factor) }
}

func sleep(seconds: Double) async {
    guard seconds > 0 else { return }
    try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
}
