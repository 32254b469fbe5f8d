import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Finds the records whose vendor event key (`$insert_id`, `uuid`, `messageId`, …) an earlier
/// record of the same file already had (SPEC §8 rule 13), in memory that does not grow with the
/// file: a first pass writes a 128-bit hash of each key and its record number to partition files
/// in a temporary folder; each partition is then read on its own into a table of its keys, and
/// what is left in memory is the sorted list of duplicate record numbers (8 bytes per
/// duplicate), walked in step with the second pass. Temporary bytes: 24 per record with a key, removed when done.
final class DuplicateEvents {
    struct Entry {
        var high: UInt64
        var low: UInt64
        var record: Int
    }

    private let folder: URL
    private let partitions: Int
    @exclusivity(unchecked) private var buffers: [[Entry]]
    /// A partition's file, opened when its buffer first fills: a small input never touches the disk.
    private var handles: [FileHandle?]
    private var folderMade = false
    /// Record numbers of the duplicates, ascending; `cursor` walks it as records are read again.
    private(set) var duplicates: [Int] = []
    private var cursor = 0

    /// `expectedRecords` sizes the partitions (each about 32 MB or less). Checks that
    /// `temporaryFolder` is a folder this process can write to; nothing is created in it until
    /// a partition's buffer of 4,096 keys fills.
    init(temporaryFolder: String, expectedRecords: Int) throws(IOFailure) {
        partitions = max(16, min(4096, expectedRecords * 24 / (32 << 20) + 1))
        var info = stat()
        guard stat(temporaryFolder, &info) == 0 else { throw IOFailure(path: temporaryFolder, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw IOFailure(path: temporaryFolder, reason: "is not a folder")
        }
        guard access(temporaryFolder, W_OK | X_OK) == 0 else { throw IOFailure(path: temporaryFolder, errno: errno) }
        folder = URL(fileURLWithPath: temporaryFolder).appendingPathComponent(
            ".import-prep-keys-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        buffers = Array(repeating: [], count: partitions)
        handles = Array(repeating: nil, count: partitions)
    }

    deinit { removeFiles() }

    private func removeFiles() {
        for case let handle? in handles { try? handle.close() }
        handles = Array(repeating: nil, count: partitions)
        if folderMade { try? FileManager.default.removeItem(at: folder) }
        folderMade = false
    }

    /// Partition `k`'s file, made (with the folder) on first use.
    private func handle(_ k: Int) throws(IOFailure) -> FileHandle {
        if let handle = handles[k] { return handle }
        let url = folder.appendingPathComponent("\(k)")
        do {
            if !folderMade {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
                folderMade = true
            }
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw IOFailure(path: url.path, reason: "cannot be created")
            }
            let handle = try FileHandle(forWritingTo: url)
            handles[k] = handle
            return handle
        } catch let error as IOFailure {
            throw error
        } catch {
            throw IOFailure(path: url.path, reason: "\(error)")
        }
    }

    /// Notes the key of record `record` (first pass).
    func add(key: UnsafeRawBufferPointer, record: Int) throws(IOFailure) {
        let (high, low) = Self.hash(key)
        try add(high: high, low: low, record: record)
    }

    /// Notes a key by its hash (a block's keys, at hand-over).
    func add(high: UInt64, low: UInt64, record: Int) throws(IOFailure) {
        let k = Int(high % UInt64(partitions))
        buffers[k].append(Entry(high: high, low: low, record: record))
        if buffers[k].count >= 4096 { try flush(k) }
    }

    private func flush(_ k: Int) throws(IOFailure) {
        guard !buffers[k].isEmpty else { return }
        let data = buffers[k].withUnsafeBytes { Data($0) }
        let handle = try handle(k)
        do { try handle.write(contentsOf: data) } catch {
            throw IOFailure(path: folder.appendingPathComponent("\(k)").path, reason: "\(error)")
        }
        buffers[k].removeAll(keepingCapacity: true)
    }

    /// Reads each partition (from its file, or its buffer when it never filled) and keeps every
    /// record number after the first of its key. The partitions are read on every core.
    func finish() throws(IOFailure) {
        var paths = [String?](repeating: nil, count: partitions)
        for k in 0..<partitions {
            guard let handle = handles[k] else { continue }
            try flush(k)
            try? handle.close()
            handles[k] = nil
            paths[k] = folder.appendingPathComponent("\(k)").path
        }
        let found = Self.duplicates(partitions: partitions, buffers: buffers, paths: paths)
        buffers = Array(repeating: [], count: partitions)
        for case let path? in paths { try? FileManager.default.removeItem(atPath: path) }
        removeFiles()
        duplicates = try found.get().sorted()
    }

    /// The record numbers after the first of their key, partition by partition on every core.
    /// Each core reads its partitions into one buffer and one table it keeps from partition to
    /// partition (fresh memory for each cost page faults and a zero fill of every page).
    private static func duplicates(
        partitions: Int, buffers: [[Entry]], paths: [String?]
    ) -> Result<[Int], IOFailure> {
        nonisolated(unsafe) let found = UnsafeMutableBufferPointer<Result<[Int], IOFailure>>.allocate(
            capacity: partitions)
        found.initialize(repeating: .success([]))
        defer { found.deinitialize().deallocate() }
        let workers = max(1, min(partitions, ProcessInfo.processInfo.activeProcessorCount))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let space = PartitionSpace()
            for k in stride(from: worker, to: partitions, by: workers) {
                if let path = paths[k] {
                    do throws(IOFailure) {
                        let entries = try space.read(path)
                        found[k] = .success(laterRecords(of: entries, slots: space))
                    } catch {
                        found[k] = .failure(error)
                    }
                } else {
                    found[k] = .success(
                        buffers[k].withUnsafeBufferPointer { laterRecords(of: $0, slots: space) })
                }
            }
        }
        var all: [Int] = []
        for result in found {
            switch result {
            case .success(let records): all.append(contentsOf: records)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(all)
    }

    /// One core's memory for the partitions it reads: their entries and the table of their keys,
    /// each grown to the largest partition so far and used again for the next.
    final class PartitionSpace {
        private var entries = UnsafeMutableBufferPointer<Entry>(start: nil, count: 0)
        private var slots = UnsafeMutableBufferPointer<UInt32>(start: nil, count: 0)

        deinit {
            entries.deallocate()
            slots.deallocate()
        }

        /// `size` slots, all empty (0).
        func emptySlots(_ size: Int) -> UnsafeMutableBufferPointer<UInt32> {
            if slots.count < size {
                slots.deallocate()
                slots = .allocate(capacity: size)
            }
            let table = UnsafeMutableBufferPointer(rebasing: slots[0..<size])
            table.update(repeating: 0)
            return table
        }

        /// A partition's entries, read with read(2) straight into place (an empty partition
        /// costs nothing); valid until the next call.
        func read(_ path: String) throws(IOFailure) -> UnsafeBufferPointer<Entry> {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw IOFailure(path: path, errno: errno) }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw IOFailure(path: path, errno: errno) }
            let count = Int(info.st_size) / MemoryLayout<Entry>.stride
            guard count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
            if entries.count < count {
                entries.deallocate()
                entries = .allocate(capacity: count)
            }
            let wanted = count * MemoryLayout<Entry>.stride
            let base = UnsafeMutableRawPointer(entries.baseAddress!)
            var done = 0
            while done < wanted {
                let n = retryingOnInterrupt { Glibc.read(fd, base + done, wanted - done) }
                guard n > 0 else {
                    throw IOFailure(path: path, reason: n < 0 ? String(cString: strerror(errno)) : "ended early")
                }
                done += n
            }
            return UnsafeBufferPointer(rebasing: entries[0..<count])
        }
    }

    /// The records of `entries` that are not the first (lowest-numbered) of their key, in no
    /// particular order: one pass through an open-addressing table of entry indices (four bytes
    /// a slot, at most half full, in `space`), where sorting the partition took O(n log n)
    /// comparisons.
    static func laterRecords(of entries: UnsafeBufferPointer<Entry>, slots space: PartitionSpace) -> [Int] {
        let n = entries.count
        guard n > 1 else { return [] }
        var size = 16
        while size < 2 * n { size <<= 1 }
        let mask = size - 1
        // Slot: index + 1 of the entry holding the key's lowest record so far; 0 is empty.
        let slots = space.emptySlots(size)
        var later: [Int] = []
        // The partition was chosen by `high`; `low`'s bits pick the slot.
        for i in 0..<n {
            let entry = entries[i]
            var h = Int(truncatingIfNeeded: entry.low) & mask
            while true {
                let held = Int(slots[h])
                if held == 0 {
                    slots[h] = UInt32(i + 1)
                    break
                }
                let first = entries[held - 1]
                if first.high == entry.high && first.low == entry.low {
                    if entry.record < first.record {
                        later.append(first.record)
                        slots[h] = UInt32(i + 1)
                    } else {
                        later.append(entry.record)
                    }
                    break
                }
                h = (h + 1) & mask
            }
        }
        return later
    }

    /// Whether `record` is a duplicate (asked in ascending record order, second pass).
    func isDuplicate(_ record: Int) -> Bool {
        while cursor < duplicates.count && duplicates[cursor] < record { cursor += 1 }
        return cursor < duplicates.count && duplicates[cursor] == record
    }

    /// 128 bits from two independent 64-bit lanes over the key's bytes, sixteen at a time, each
    /// step a 64×64→128-bit multiply folded to 64 bits (wyhash's step), the lanes finished with a
    /// full avalanche (MurmurHash3's fmix64). The last step reads the last sixteen (or eight)
    /// bytes again, overlapping: with the length in the seed, the bytes still decide the input.
    /// Not for adversaries; for telling records apart.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        let count = bytes.count
        var a: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
        var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F &+ UInt64(count)
        guard let base = bytes.baseAddress, count > 0 else { return (mix(a), mix(b)) }
        @inline(__always) func word(_ offset: Int) -> UInt64 {
            UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        @inline(__always) func step(_ w0: UInt64, _ w1: UInt64) {
            a = fold(w0 ^ 0xA076_1D64_78BD_642F, w1 ^ a)
            b = fold(w1 ^ 0xE703_7ED1_A0B4_28DB, w0 ^ b)
        }
        var i = 0
        while i + 16 < count {
            step(word(i), word(i + 8))
            i += 16
        }
        if count >= 16 {
            step(word(count - 16), word(count - 8))
        } else if count >= 8 {
            step(word(0), word(count - 8))
        } else {
            var tail: UInt64 = 0
            for k in 0..<count { tail |= UInt64(base.load(fromByteOffset: k, as: UInt8.self)) << UInt64(8 * k) }
            step(tail, 0)
        }
        return (mix(a ^ b.rotatedLeft(32)), mix(b &+ a))
    }

    @inline(__always) private static func fold(_ x: UInt64, _ y: UInt64) -> UInt64 {
        let (high, low) = x.multipliedFullWidth(by: y)
        return high ^ low
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var h = value
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 33)
    }
}

extension UInt64 {
    @inline(__always) fileprivate func rotatedLeft(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}
