#if canImport(Glibc)
    import Glibc
#endif

/// The files inside a zip archive, read one after another as one stream (SPEC §8: Amplitude's
/// export is a zip of `.json.gz` files; their gzip members then inflate in a row). Entries are
/// found through the central directory (ZIP64 included) and read with `pread`, stored or deflated,
/// a block at a time: never unpacked whole to memory or disk. Folders are skipped.
final class ZipEntries {
    struct Entry {
        var name: String
        var method: Int
        var compressedSize: Int
        var localHeaderOffset: Int
    }

    private let fd: Int32
    private let path: String
    private(set) var entries: [Entry] = []
    private var index = 0
    private var dataOffset = 0
    private var remaining = 0
    /// Bytes of entry data read from the archive so far (for the progress line).
    private(set) var compressedBytesRead = 0
    private var inflater: GzipInflater?
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0

    /// Reads the central directory of the zip file open as `fd` (of `size` bytes).
    init(fd: Int32, size: Int, path: String) throws(IOFailure) {
        self.fd = fd
        self.path = path
        input = .allocate(byteCount: 1 << 20, alignment: 16)
        try readDirectory(size: size)  // on failure, deinit frees `input`
    }

    deinit {
        input.deallocate()
        stage.deallocate()
    }

    private func bytes(at offset: Int, count: Int) throws(IOFailure) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { b in
                retryingOnInterrupt { pread(fd, b.baseAddress! + done, count - done, off_t(offset + done)) }
            }
            guard n >= 0 else { throw IOFailure(path: path, errno: errno) }
            guard n > 0 else { throw IOFailure(path: path, reason: "is a zip archive cut short") }
            done += n
        }
        return buffer
    }

    private static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ at: Int) -> Int { u16(b, at) | u16(b, at + 2) << 16 }
    private static func u64(_ b: [UInt8], _ at: Int) -> Int { u32(b, at) | u32(b, at + 4) << 32 }

    private func corrupt(_ why: String) -> IOFailure {
        IOFailure(path: path, reason: "is not a zip archive import-prep can read (\(why))")
    }

    private func readDirectory(size: Int) throws(IOFailure) {
        let tailSize = min(size, 22 + 65_535)
        let tail = try bytes(at: size - tailSize, count: tailSize)
        guard
            let end = stride(from: tailSize - 22, through: 0, by: -1).first(where: { i in
                tail[i] == 0x50 && tail[i + 1] == 0x4B && tail[i + 2] == 0x05 && tail[i + 3] == 0x06
            })
        else { throw corrupt("no end of central directory") }
        var count = Self.u16(tail, end + 10)
        var directorySize = Self.u32(tail, end + 12)
        var directoryOffset = Self.u32(tail, end + 16)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: the locator just before the end record names the ZIP64 end record.
            guard end >= 20, Self.u32(tail, end - 20) == 0x0706_4B50 else { throw corrupt("no ZIP64 locator") }
            let record = try bytes(at: Self.u64(tail, end - 20 + 8), count: 56)
            guard Self.u32(record, 0) == 0x0606_4B50 else { throw corrupt("no ZIP64 end record") }
            count = Self.u64(record, 32)
            directorySize = Self.u64(record, 40)
            directoryOffset = Self.u64(record, 48)
        }
        guard directoryOffset + directorySize <= size else {
            throw corrupt("the central directory lies outside the file")
        }
        let directory = try bytes(at: directoryOffset, count: directorySize)
        var at = 0
        for _ in 0..<count {
            guard at + 46 <= directory.count, Self.u32(directory, at) == 0x0201_4B50 else {
                throw corrupt("a broken central directory entry")
            }
            let flags = Self.u16(directory, at + 8)
            let method = Self.u16(directory, at + 10)
            var compressed = Self.u32(directory, at + 20)
            var uncompressed = Self.u32(directory, at + 24)
            let nameLength = Self.u16(directory, at + 28)
            let extraLength = Self.u16(directory, at + 30)
            let commentLength = Self.u16(directory, at + 32)
            var offset = Self.u32(directory, at + 42)
            guard at + 46 + nameLength + extraLength <= directory.count else { throw corrupt("a broken entry name") }
            let name = String(decoding: directory[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = Self.u16(directory, extra)
                let length = Self.u16(directory, extra + 2)
                if id == 0x0001 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF, field + 8 <= extraEnd {
                        uncompressed = Self.u64(directory, field)
                        field += 8
                    }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extraEnd {
                        compressed = Self.u64(directory, field)
                        field += 8
                    }
                    if offset == 0xFFFF_FFFF, field + 8 <= extraEnd { offset = Self.u64(directory, field) }
                }
                extra += 4 + length
            }
            at = extraEnd + commentLength
            if name.hasSuffix("/") { continue }
            guard flags & 1 == 0 else { throw IOFailure(path: path, reason: "holds an encrypted file (\(name))") }
            guard method == 0 || method == 8 else {
                throw IOFailure(
                    path: path,
                    reason: "holds \(name) compressed with method \(method) (only stored and deflate are read)")
            }
            entries.append(Entry(name: name, method: method, compressedSize: compressed, localHeaderOffset: offset))
        }
        index = -1
    }

    /// Moves to the next entry; false after the last.
    private func openNext() throws(IOFailure) -> Bool {
        index += 1
        guard index < entries.count else { return false }
        let entry = entries[index]
        let header = try bytes(at: entry.localHeaderOffset, count: 30)
        guard Self.u32(header, 0) == 0x0403_4B50 else { throw corrupt("a broken local header for \(entry.name)") }
        dataOffset = entry.localHeaderOffset + 30 + Self.u16(header, 26) + Self.u16(header, 28)
        remaining = entry.compressedSize
        inputStart = 0
        inputEnd = 0
        inflater = entry.method == 8 ? GzipInflater(raw: true) : nil
        stageStart = 0
        stageEnd = 0
        stageEnded = false
        decided = false
        gunzip = nil
        produced = false
        return true
    }

    // The entry's own bytes (inflated from the zip), and their gzip layer when they have one.
    private let stage: UnsafeMutableRawBufferPointer = .allocate(byteCount: 1 << 20, alignment: 16)
    private var stageStart = 0
    private var stageEnd = 0
    private var stageEnded = false
    private var decided = false
    private var gunzip: GzipInflater?
    private var produced = false
    private var lastByte: UInt8 = 0x0A

    /// Reads the contents of the entries, one after another (each entry's gzip layer taken off, a
    /// line feed added after an entry that lacks one); 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOFailure) -> Int {
        while true {
            if index < 0 || index >= entries.count {
                guard index < 0, try openNext() else { return 0 }
            }
            if stageStart == stageEnd && !stageEnded {
                stageStart = 0
                stageEnd = try entryBytes(into: stage)
                if stageEnd == 0 { stageEnded = true }
            }
            if !decided {
                decided = true
                if stageEnd - stageStart >= 2 && stage[stageStart] == 0x1F && stage[stageStart + 1] == 0x8B {
                    gunzip = GzipInflater()
                }
            }
            let available = UnsafeRawBufferPointer(rebasing: stage[stageStart..<stageEnd])
            if stageEnded && available.isEmpty && (gunzip == nil || gunzip!.isAtMemberBoundary) {
                if produced && lastByte != 0x0A {
                    lastByte = 0x0A
                    buffer[0] = 0x0A
                    return 1
                }
                guard try openNext() else { return 0 }
                continue
            }
            var n = 0
            if let gunzip {
                switch gunzip.inflate(available, into: buffer) {
                case .corrupt(let reason):
                    throw IOFailure(
                        path: path, reason: "holds \(entries[index].name) with corrupt gzip data (\(reason))")
                case .progress(let consumed, let made):
                    stageStart += consumed
                    n = made
                    if made == 0 && consumed == 0 && stageEnded && !gunzip.isAtMemberBoundary {
                        throw IOFailure(path: path, reason: "holds \(entries[index].name) cut short")
                    }
                }
            } else {
                n = min(available.count, buffer.count)
                if n > 0 { buffer.baseAddress!.copyMemory(from: available.baseAddress!, byteCount: n) }
                stageStart += n
            }
            if n > 0 {
                produced = true
                lastByte = buffer[n - 1]
                return n
            }
        }
    }

    /// The current entry's bytes as stored in the zip, inflated; 0 at its end.
    private func entryBytes(into buffer: UnsafeMutableRawBufferPointer) throws(IOFailure) -> Int {
        while true {
            if inputStart == inputEnd && remaining > 0 {
                let wanted = min(input.count, remaining)
                let n = retryingOnInterrupt { pread(fd, input.baseAddress, wanted, off_t(dataOffset)) }
                guard n >= 0 else { throw IOFailure(path: path, errno: errno) }
                guard n > 0 else { throw IOFailure(path: path, reason: "is a zip archive cut short") }
                dataOffset += n
                compressedBytesRead += n
                remaining -= n
                inputStart = 0
                inputEnd = n
            }
            let available = UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd])
            guard let inflater else {
                let n = min(available.count, buffer.count)
                buffer.baseAddress!.copyMemory(from: available.baseAddress!, byteCount: n)
                inputStart += n
                return n
            }
            if inflater.isAtMemberBoundary { return 0 }
            switch inflater.inflate(available, into: buffer) {
            case .corrupt(let reason):
                throw IOFailure(path: path, reason: "holds \(entries[index].name) with corrupt data (\(reason))")
            case .progress(let consumed, let made):
                inputStart += consumed
                if made > 0 { return made }
                if inflater.isAtMemberBoundary { return 0 }
                if remaining == 0 && inputStart == inputEnd {
                    throw IOFailure(path: path, reason: "holds \(entries[index].name) cut short")
                }
            }
        }
    }
}
