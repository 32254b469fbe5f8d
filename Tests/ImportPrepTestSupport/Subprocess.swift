import Foundation

/// Runs any program (a shell line, `script` for a pseudo-terminal) with its output captured in
/// files, waiting for it without holding a thread: a test's in-process stand-in of the API answers
/// on the same pool of threads.
public enum Subprocess {
    public static func run(
        _ executable: String, _ arguments: [String], in folder: URL, environment: [String: String]
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let scratch = try ScratchFolder()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = environment
        FileManager.default.createFile(atPath: scratch.path("out"), contents: nil)
        FileManager.default.createFile(atPath: scratch.path("err"), contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: scratch.url.appendingPathComponent("out"))
        process.standardError = try FileHandle(forWritingTo: scratch.url.appendingPathComponent("err"))
        process.standardInput = FileHandle.nullDevice
        try await withCheckedThrowingContinuation { (ended: CheckedContinuation<Void, Error>) in
            process.terminationHandler = { _ in ended.resume() }
            do { try process.run() } catch {
                process.terminationHandler = nil
                ended.resume(throwing: error)
            }
        }
        return (
            process.terminationStatus, (try? String(contentsOfFile: scratch.path("out"), encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: scratch.path("err"), encoding: .utf8)) ?? ""
        )
    }
}
