import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT/SIGTERM during `convert`/`split`: the handler only records the signal; the run checks
/// it between records, then closes what is finished and removes what is not.
public enum Interruption {
    private static let received = Atomic<Int32>(0)

    /// The signal received so far, or 0.
    public static var signal: Int32 { received.load(ordering: .relaxed) }

    /// Installs the handler without `SA_RESTART`, so a blocked `read(2)` returns and the run
    /// can stop even while it waits for input.
    public static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // A parent may have started us with these blocked; they must reach the handler.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }
}

private func handler(_ signal: Int32) {
    Interruption.record(signal)
}

extension Interruption {
    fileprivate static func record(_ signal: Int32) {
        received.store(signal, ordering: .relaxed)
    }
}
