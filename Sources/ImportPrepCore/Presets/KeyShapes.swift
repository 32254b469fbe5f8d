/// The key lists of the last few vendor objects whose keys' roles were looked up, with those
/// roles: an export's events come in a handful of shapes (the same properties in the same order
/// for each kind of event), so an object whose keys are byte for byte a remembered list takes its
/// roles from there instead of one table lookup (a hash and a compare) per key.
///
/// Only objects whose keys hold no escapes, with at most `maxKeys` keys of at most `maxKeyBytes`
/// bytes in all, are remembered or matched. The lists live in buffers allocated once (about
/// 41 KB), so remembering and matching allocate nothing and cost no reference counting.
final class KeyShapes {
    static let capacity = 8
    static let maxKeys = 256
    static let maxKeyBytes = 4_096

    /// Per shape: `count` and the keys' lengths folded together (most lists that differ differ
    /// in it), its key count, when it was last used.
    private let signatures = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: capacity)
    private let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: capacity)
    private let lastUses = UnsafeMutableBufferPointer<Int>.allocate(capacity: capacity)
    /// Per shape, `maxKeyBytes` bytes of keys and `maxKeys` entries of each list.
    private let keys = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * maxKeyBytes, alignment: 8)
    private let ends = UnsafeMutableBufferPointer<Int32>.allocate(capacity: capacity * maxKeys)
    private let roles = UnsafeMutableBufferPointer<Int32>.allocate(capacity: capacity * maxKeys)
    private var shapeCount = 0
    private var uses = 0

    init() {}

    deinit {
        signatures.deallocate()
        counts.deallocate()
        lastUses.deallocate()
        keys.deallocate()
        ends.deallocate()
        roles.deallocate()
    }

    /// The signature of `object`'s key list, or nil when the object is not for remembering (a key
    /// with an escape, too many keys or key bytes).
    @inline(__always)
    static func signature(of object: VendorObject) -> UInt64? {
        guard object.count <= maxKeys else { return nil }
        var signature = UInt64(truncatingIfNeeded: object.count)
        var bytes = 0
        for member in object.members {
            if member.keyHasEscapes { return nil }
            let length = member.keyEnd &- member.keyStart
            bytes &+= length
            signature = signature &* 0x100_0000_01B3 ^ UInt64(truncatingIfNeeded: length)
        }
        return bytes <= maxKeyBytes ? signature : nil
    }

    /// Appends the roles remembered for `object`'s keys (whose signature is `signature`) to
    /// `found`; false when its key list is not one of the remembered ones.
    func appendRoles(of object: VendorObject, signature: UInt64, to found: inout [Int32]) -> Bool {
        for s in 0..<shapeCount where signatures[s] == signature && counts[s] == object.count && holds(s, object) {
            uses &+= 1
            lastUses[s] = uses
            found.append(
                contentsOf: UnsafeBufferPointer(start: roles.baseAddress! + s * Self.maxKeys, count: counts[s]))
            return true
        }
        return false
    }

    /// Whether shape `s`'s keys are `object`'s, byte for byte (its key count already compared).
    private func holds(_ s: Int, _ object: VendorObject) -> Bool {
        let shapeKeys = keys.baseAddress! + s * Self.maxKeyBytes
        let shapeEnds = ends.baseAddress! + s * Self.maxKeys
        var start = 0
        for i in 0..<object.count {
            let member = object.members[i]
            let end = Int(shapeEnds[i])
            let length = member.keyEnd &- member.keyStart
            guard end &- start == length,
                length == 0
                    || UnsafeRawBufferPointer.equal(
                        shapeKeys + start, object.bytes.baseAddress! + member.keyStart, length)
            else { return false }
            start = end
        }
        return true
    }

    /// Remembers `object`'s key list (whose signature is `signature`) and its keys' roles, in
    /// place of the list used least lately.
    func remember(_ object: VendorObject, signature: UInt64, roles found: ArraySlice<Int32>) {
        var s = shapeCount
        if shapeCount < Self.capacity {
            shapeCount += 1
        } else {
            s = (0..<Self.capacity).min { lastUses[$0] < lastUses[$1] }!
        }
        uses &+= 1
        signatures[s] = signature
        counts[s] = object.count
        lastUses[s] = uses
        let shapeKeys = keys.baseAddress! + s * Self.maxKeyBytes
        var end = 0
        for (i, member) in object.members.enumerated() {
            let length = member.keyEnd &- member.keyStart
            (shapeKeys + end).copyMemory(from: object.bytes.baseAddress! + member.keyStart, byteCount: length)
            end += length
            ends[s * Self.maxKeys + i] = Int32(truncatingIfNeeded: end)
        }
        for (i, role) in found.enumerated() { roles[s * Self.maxKeys + i] = role }
    }
}
