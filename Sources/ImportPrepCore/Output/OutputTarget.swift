import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a named output is on disk, and so how it is written (docs/convert.md, "What import-prep will and
/// will not overwrite"). These tools run as root in shared folders: nothing is written through a
/// link that someone else could have planted, and nothing is renamed over a device or a pipe.
public enum OutputTarget: Equatable, Sendable {
    /// Nothing there yet, or a regular file: written under a fresh temporary name in the same
    /// folder (`O_CREAT | O_EXCL | O_NOFOLLOW`) and renamed over the name when complete.
    case replaceable
    /// A character device, FIFO or socket (`/dev/null`, a named pipe): opened and written
    /// straight through, never truncated, never renamed over.
    case stream
    /// This process's own standard output or error under another name (`/dev/stdout`): written
    /// to that descriptor.
    case standardStream(Int32)

    /// Decides how `path` is written, or refuses it (a link to anything but our own standard
    /// output or error, a block device, a folder).
    public static func classify(_ path: String, option: String) throws(OutputRefusal) -> OutputTarget {
        var link = stat()
        guard lstat(path, &link) == 0 else { return .replaceable }
        switch link.st_mode & S_IFMT {
        case S_IFREG: return .replaceable
        case S_IFCHR, S_IFIFO, S_IFSOCK: return .stream
        case S_IFDIR:
            throw OutputRefusal(
                option: option, path: path, reason: "is a folder; name a file (chunks go to a folder with --out DIR)")
        case S_IFBLK:
            throw OutputRefusal(
                option: option, path: path, reason: "is a block device (a disk); import-prep writes only files")
        default: break
        }
        // A symbolic link: only the names of our own standard streams are written through.
        var target = stat()
        if stat(path, &target) == 0 {
            for descriptor: Int32 in [1, 2] {
                var own = stat()
                if fstat(descriptor, &own) == 0 && own.st_dev == target.st_dev && own.st_ino == target.st_ino {
                    return .standardStream(descriptor)
                }
            }
        }
        let destination = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
        throw OutputRefusal(
            option: option, path: path,
            reason:
                "is a symbolic link (to \(destination)); import-prep does not write through links, which anyone "
                + "sharing the folder could have planted — name the file itself")
    }
}

/// An output import-prep will not write, found before anything is opened (exit status 2).
public struct OutputRefusal: Error, CustomStringConvertible, Sendable {
    /// The option that named it (`-o`, `--rejects`, `--errors`, `--out`, `--journal`).
    public var option: String
    public var path: String
    public var reason: String
    /// The same command with a safe output in its place, when there is one to offer.
    public var safeCommand: String?

    public var description: String {
        "\(option) \(path) \(reason)." + (safeCommand.map { "\nA safe command: \($0)" } ?? "")
    }
}

/// One output a command was given, with the option that named it.
public struct NamedOutput: Sendable {
    public var option: String
    public var path: String
    /// A chunk folder (`--out`): its own chunk and manifest names are reserved, the folder itself
    /// is checked when chunks are written.
    public var isFolder: Bool

    public init(option: String, path: String, isFolder: Bool = false) {
        self.option = option
        self.path = path
        self.isFolder = isFolder
    }
}

/// Checks a command's outputs against its inputs and each other before anything is opened for
/// writing: the same file by device and inode (links and hard links count) is refused, as are
/// outputs `OutputTarget` will not write.
public enum OutputGuard {
    /// - Parameters:
    ///   - arguments: the command line after the program name, to show the safe command.
    public static func check(inputs: [String], outputs: [NamedOutput], arguments: [String] = []) throws(OutputRefusal) {
        let inputFiles = inputs.map { ($0, FileIdentity.of(input: $0)) }
        var seen: [(NamedOutput, FileIdentity)] = []
        for output in outputs.filter(\.isFolder) + outputs.filter({ !$0.isFolder }) where output.path != "-" {
            if output.isFolder {
                seen.append((output, FileIdentity.of(output: output.path)))
                continue
            }
            _ = try OutputTarget.classify(output.path, option: output.option)
            let identity = FileIdentity.of(output: output.path)
            if identity.isStream { continue }
            if let (input, _) = inputFiles.first(where: { $0.1 == identity }) {
                let shown = input == "-" ? "standard input" : "the input \(input)"
                var refusal = OutputRefusal(
                    option: output.option, path: output.path,
                    reason:
                        "is \(shown) (the same file); import-prep never writes a file in place, so the input "
                        + "would be lost. Write to another file, check it, then move it")
                refusal.safeCommand = safeCommand(arguments, replacing: output)
                throw refusal
            }
            for (other, otherIdentity) in seen {
                if other.isFolder {
                    if FileIdentity.isReserved(output.path, inChunkFolder: other.path) {
                        throw OutputRefusal(
                            option: output.option, path: output.path,
                            reason: "is a name \(other.option) \(other.path) uses for its chunks or manifest")
                    }
                } else if otherIdentity == identity {
                    throw OutputRefusal(
                        option: output.option, path: output.path,
                        reason: "is also the output of \(other.option); give each output its own file")
                }
            }
            seen.append((output, identity))
        }
    }

    /// The command line with `output`'s value replaced by a new name beside it.
    static func safeCommand(_ arguments: [String], replacing output: NamedOutput) -> String? {
        guard !arguments.isEmpty else { return nil }
        let url = URL(fileURLWithPath: output.path)
        let stem = url.deletingPathExtension().lastPathComponent
        let suffix = url.pathExtension.isEmpty ? "" : "." + url.pathExtension
        let role =
            switch output.option {
            case "--rejects": "rejects"
            case "--errors": "errors"
            default: "converted"
            }
        let folder = (output.path as NSString).deletingLastPathComponent
        let name = stem + "." + role + suffix
        let replacement = folder.isEmpty ? name : folder + "/" + name
        let spellings = output.option == "-o" ? ["-o", "--output"] : [output.option]
        var replaced = false
        var words = arguments
        for (i, word) in arguments.enumerated() where !replaced {
            if word == output.path, i > 0, spellings.contains(arguments[i - 1]) {
                words[i] = replacement
                replaced = true
            } else if let spelling = spellings.first(where: { word == $0 + "=" + output.path }) {
                words[i] = spelling + "=" + replacement
                replaced = true
            }
        }
        guard replaced else { return nil }
        return "import-prep " + words.map(shellQuoted).joined(separator: " ")
    }

    private static func shellQuoted(_ word: String) -> String {
        let plain = word.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || "-_./=:,+@%".unicodeScalars.contains($0)
        }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Which file a path names: device and inode when it exists (after links), else its absolute
/// name (its folder resolved), so that two spellings of one new file compare equal.
enum FileIdentity: Equatable {
    case file(device: UInt64, inode: UInt64, isStream: Bool)
    case name(folder: String, name: String)

    var isStream: Bool { if case .file(_, _, true) = self { true } else { false } }

    static func of(input path: String) -> FileIdentity {
        var info = stat()
        let found = path == "-" ? fstat(0, &info) == 0 : stat(path, &info) == 0
        guard found else { return .name(folder: "", name: "\u{0}input:" + path) }
        return identity(info)
    }

    static func of(output path: String) -> FileIdentity {
        var info = stat()
        if stat(path, &info) == 0 { return identity(info) }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let folder = url.deletingLastPathComponent().resolvingSymlinksInPath().path
        return .name(folder: folder, name: url.lastPathComponent)
    }

    private static func identity(_ info: stat) -> FileIdentity {
        let type = info.st_mode & S_IFMT
        return .file(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
            isStream: type == S_IFCHR || type == S_IFIFO || type == S_IFSOCK)
    }

    /// Whether `path` is, or would be, a chunk or the manifest of the chunk folder `folder`.
    static func isReserved(_ path: String, inChunkFolder folder: String) -> Bool {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let name = url.lastPathComponent
        guard name == "manifest.json" || (name.hasPrefix("part-") && name.hasSuffix(".ndjson")) else { return false }
        return of(output: url.deletingLastPathComponent().path) == of(output: folder)
    }
}
