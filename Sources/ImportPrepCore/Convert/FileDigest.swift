/// SHA-256 as manifests and the upload journal write it: lowercase hex.
public enum FileDigest {
    public static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    public static func sha256(_ bytes: [UInt8]) -> String { hex(SHA256Hasher.hash(bytes)) }

    /// Size and sha256 of a file, read in 1 MiB blocks.
    public static func sha256(ofFile path: String) throws(IOFailure) -> (bytes: Int, sha256: String) {
        let source = try ByteSource(path: path)
        source.countsProgress = false
        let hasher = SHA256Hasher()
        var total = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += n
        }
        return (total, hex(hasher.finalize()))
    }
}
