#if canImport(Glibc)
    import Glibc
#endif

/// Runs a system call again while a signal interrupts it (`EINTR`), as swift-system's
/// `retryOnInterrupt` does, unless `stop` says the signal is one to stop for. Returns the call's
/// result: negative with `errno` set when it failed.
@inline(__always)
public func retryingOnInterrupt<T: SignedInteger>(unless stop: () -> Bool = { false }, _ call: () -> T) -> T {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR || stop() { return result }
    }
}

/// Writes all of `bytes` to `fd`; nil when done, else the error number.
public func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    var done = 0
    while done < bytes.count {
        let n = retryingOnInterrupt { write(fd, bytes.baseAddress! + done, bytes.count - done) }
        if n < 0 { return errno }
        done += n
    }
    return nil
}
