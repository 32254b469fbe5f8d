import Foundation

/// Runs any program (a shell line, `script` for a pseudo-terminal) with its output captured in
/// files, waiting for it without holding a thread: a test's in-process stand-in of the API answers
/// on the same pool of threads.
public enum Subprocess {
    public static func run(
        _ executable: String, _ arguments: [String], in folder: URL, environment: [String: String]
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let scratch = try ScratchFolder()
        let child = try ChildProcess(
            executable, arguments, in: folder.path, environment: environment, stdout: .file(scratch.path("out")),
            stderr: .file(scratch.path("err")))
        let ending = await child.ended()
        return (
            ending.status, (try? String(contentsOfFile: scratch.path("out"), encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: scratch.path("err"), encoding: .utf8)) ?? ""
        )
    }
}
