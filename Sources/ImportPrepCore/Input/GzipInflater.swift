import CZlib

/// The one door to zlib: inflates a gzip stream (several members in a row too), block by block;
/// with `raw`, the headerless deflate data of a zip entry.
final class GzipInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var finishedMember = false

    init(raw: Bool = false) {
        // zlib keeps a pointer back to the stream: it must not move, so it lives on the heap.
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        _ = raw ? import_prep_inflate_init_raw(stream) : import_prep_inflate_init(stream)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    enum Step {
        /// `produced` bytes written, `consumed` input bytes used.
        case progress(consumed: Int, produced: Int)
        case corrupt(String)
    }

    /// Inflates from `input` into `output`.
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Step {
        if finishedMember {
            // Another gzip member follows the one that ended.
            guard !input.isEmpty else { return .progress(consumed: 0, produced: 0) }
            inflateReset(stream)
            finishedMember = false
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let status = CZlib.inflate(stream, Z_NO_FLUSH)
        let consumed = input.count - Int(stream.pointee.avail_in)
        let produced = output.count - Int(stream.pointee.avail_out)
        switch status {
        case Z_OK, Z_BUF_ERROR:
            return .progress(consumed: consumed, produced: produced)
        case Z_STREAM_END:
            finishedMember = true
            return .progress(consumed: consumed, produced: produced)
        default:
            let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
            return .corrupt(message)
        }
    }

    /// Whether the input may end here (between members, not inside one).
    var isAtMemberBoundary: Bool { finishedMember }
}
