/// How a run of any command ends, and the one place each exit status number is defined (SPEC §6).
public enum ExitStatus: Equatable, Sendable {
    /// Nothing invalid; every chunk completed and every row accounted for.
    case success
    /// Invalid records found (`validate`), records rejected or a file that could not be read as
    /// records (`convert`, `split`), a file `upload` will not send.
    case invalidRecords
    /// A usage error: options, arguments, an output that is an input.
    case usage
    /// An input or output could not be read or written (the journal included).
    case ioFailure
    /// Network or server trouble that retries did not cure.
    case apiTrouble
    /// An import job failed, rows are missing, or a chunk was imported twice.
    case importFailed
    /// Stopped by a signal (SIGINT, SIGTERM): 128 + its number, as a shell reports it.
    case interrupted(signal: Int32)

    public var code: Int32 {
        switch self {
        case .success: 0
        case .invalidRecords: 1
        case .usage: 2
        case .ioFailure: 3
        case .apiTrouble: 4
        case .importFailed: 5
        case .interrupted(let signal): 128 + signal
        }
    }
}
