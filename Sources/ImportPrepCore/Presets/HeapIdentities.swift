import Foundation

/// Heap's own user ids resolved to the customer's `identity` (SPEC §8, PRESETS.md D-HEAP-USER):
/// the `users` table names each user's identity, `user_migrations` which ids were merged into
/// which. Read from the inputs before any event; memory grows with distinct users, not records.
public final class HeapIdentities: @unchecked Sendable {
    private var identities: [String: String] = [:]
    private var migrations: [String: String] = [:]

    public init() {}

    public var users: Int { identities.count }

    /// Reads every input that is a users or user_migrations table (NDJSON, or CSV by its header).
    public static func load(paths: [String], csv: (String) -> Bool, delimiter: UInt8) -> HeapIdentities {
        let found = HeapIdentities()
        for path in paths where path != "-" {
            guard let source = try? ByteSource(path: path) else { continue }
            source.countsProgress = false
            guard let text = try? source.decompressed() else { continue }
            let lines = LineReader(source: text, maxLineBytes: 1 << 20)
            var header: [String]?
            let isCSV = csv(path)
            while let line = try? lines.next() {
                guard !line.isOversized, !line.isBlank(rowDelimiter: nil) else { continue }
                let record: [String: String]
                if isCSV {
                    let cells = MappingFile.csvCells(Array(line.content), delimiter: delimiter)
                    guard let names = header else {
                        header = cells
                        if !cells.contains("identity") && !cells.contains("from_user_id") { break }
                        continue
                    }
                    record = Dictionary(zip(names, cells), uniquingKeysWith: { a, _ in a })
                } else {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(line.content)) as? [String: Any]
                    else { continue }
                    if object["identity"] == nil && object["from_user_id"] == nil { break }
                    record = object.compactMapValues { value in
                        if let text = value as? String { return text }
                        if let number = value as? NSNumber { return number.stringValue }
                        return nil
                    }
                }
                if let from = record["from_user_id"], let to = record["to_user_id"], !from.isEmpty {
                    found.migrations[from] = to
                } else if let user = record["user_id"], let identity = record["identity"], !identity.isEmpty {
                    found.identities[user] = identity
                }
            }
        }
        return found
    }

    /// The identity of Heap's user `id`, following merges (at most 16 of them).
    func identity(of id: String) -> String? {
        var current = id
        for _ in 0..<16 {
            if let identity = identities[current] { return identity }
            guard let next = migrations[current], next != current else { return nil }
            current = next
        }
        return nil
    }

    func add(user: String, identity: String) { identities[user] = identity }
    func add(migration from: String, to: String) { migrations[from] = to }
}
