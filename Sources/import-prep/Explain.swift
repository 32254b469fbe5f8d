import ArgumentParser
import ImportPrepCore

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say what an error, warning, skip reason or profile finding code means and how to fix it.",
        discussion: """
            Examples:
              import-prep explain
              import-prep explain invalid_timestamp
              import-prep explain identify_property_dropped

            Exit status: 0; 2 for a code import-prep does not have.
            More: docs/problem-codes.md.
            """
    )

    @Argument(
        help: ArgumentHelp("A code from a report; without one, every code is listed.", valueName: "code"),
        completion: .list(Explanation.all.map(\.code)))
    var code: String?

    func validate() throws {
        if let code, Explanation.named(code).isEmpty {
            throw ValidationError("no code \(code): `import-prep explain` lists them.")
        }
    }

    func run() throws {
        guard let code else { return FileHandleOutput.standardOutput(Explanation.list) }
        FileHandleOutput.standardOutput(Explanation.named(code).map(\.text).joined(separator: "\n"))
    }
}
