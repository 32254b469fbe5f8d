import Foundation

/// The base URL of the Import API. HTTPS only, except on a loopback host (the local stand-in).
public struct ImportEndpoint: Equatable, Sendable, CustomStringConvertible {
    public static let us = "https://analytex.userpilot.io"
    public static let eu = "https://analytex-eu.userpilot.io"

    /// Scheme, host and port, and any path prefix, without a trailing slash.
    public let base: String

    public enum Problem: Error, CustomStringConvertible, Equatable {
        case notAURL(String)
        case notHTTPS(String)

        public var description: String {
            switch self {
            case .notAURL(let text): "--endpoint \(text) is not an http(s) URL with a host."
            case .notHTTPS(let text):
                "--endpoint \(text) must use https:// (plain http is allowed only for loopback: 127.0.0.1, ::1, localhost)."
            }
        }
    }

    public init(_ text: String) throws(Problem) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host,
            !host.isEmpty, scheme == "https" || scheme == "http", url.query == nil, url.user == nil
        else { throw .notAURL(text) }
        if scheme == "http" && !Self.isLoopback(host) { throw .notHTTPS(text) }
        var base = text
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
    }

    public init(region: String) throws(Problem) {
        switch region.lowercased() {
        case "eu": try self.init(Self.eu)
        default: try self.init(Self.us)
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }

    public var imports: String { base + "/v1/imports" }
    public var jobs: String { base + "/v1/background_jobs" }
    /// The documented path of one job, and the other path the docs also show.
    public func job(_ id: String, alternate: Bool = false) -> String {
        let escaped = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id
        return base + (alternate ? "/api/background_jobs/" : "/v1/background_jobs/") + escaped
    }

    public var description: String { base }
}

/// The API key. It is sent in the `Authorization` header and nowhere else: its description is
/// redacted so that no message, log line or journal entry can carry it.
public struct APIToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let secret: String
    /// Where it came from, for messages: `$USERPILOT_API_KEY` or a file path.
    public let origin: String

    public enum Problem: Error, CustomStringConvertible {
        case missingVariable(String)
        case unreadableFile(String, String)
        case empty(String)
        /// Line breaks, control bytes or spaces inside the key: it cannot be a header value.
        case notOneLine(String)

        public var description: String {
            switch self {
            case .notOneLine(let origin):
                "The API key in \(origin) is not one line of printable characters (it holds a line break, a "
                    + "control character or a space); put only the key there."
            case .missingVariable(let name):
                "No API key: set $\(name) (or pass --token-env VAR or --token-file FILE)."
            case .unreadableFile(let path, let reason): "Cannot read the API key from \(path): \(reason)."
            case .empty(let origin): "The API key in \(origin) is empty."
            }
        }
    }

    public init(secret: String, origin: String) {
        self.secret = secret
        self.origin = origin
    }

    public static func fromEnvironment(_ name: String) throws(Problem) -> APIToken {
        guard let value = ProcessInfo.processInfo.environment[name] else { throw .missingVariable(name) }
        return try checked(value, origin: "$" + name)
    }

    /// Trims the ends; anything but printable ASCII left inside is refused (never echoed).
    static func checked(_ value: String, origin: String) throws(Problem) -> APIToken {
        let secret = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { throw .empty(origin) }
        guard secret.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .notOneLine(origin) }
        return APIToken(secret: secret, origin: origin)
    }

    /// A warning when the key's file can be read by other users (as ssh warns for private keys).
    public static func filePermissionWarning(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 != 0 else { return nil }
        return "\(path) can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))); "
            + "chmod 600 \(path) to keep the API key to yourself."
    }

    public static func fromFile(_ path: String) throws(Problem) -> APIToken {
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadableFile(path, (error as NSError).localizedDescription)
        }
        return try checked(contents, origin: path)
    }

    var authorization: String { "Token " + secret }

    public var description: String { "API key from \(origin)" }
    public var debugDescription: String { description }
}
