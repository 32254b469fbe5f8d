import Foundation

/// SHA-256 by coreutils' `sha256sum`: an oracle independent of the OpenSSL code import-prep uses.
public enum IndependentSHA256 {
    public static func hex(_ bytes: [UInt8]) throws -> String {
        let folder = try ScratchFolder()
        let file = folder.url.appendingPathComponent("bytes")
        try Data(bytes).write(to: file)
        return try hex(ofFile: file.path)
    }

    public static func hex(ofFile path: String) throws -> String {
        let text = try ChildProcess.run("/usr/bin/sha256sum", [path]).stdout
        return String(text.prefix(64))
    }
}
