import ArgumentParser
import ImportAPIStandIn

/// Runs the local stand-in of the Import API, e.g. to rehearse an upload:
/// `import-prep-standin --port 8080 --token demo`, then
/// `USERPILOT_API_KEY=demo import-prep upload --endpoint http://127.0.0.1:8080 DIR`.
@main
struct StandInCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-prep-standin",
        abstract: "A local stand-in of Userpilot's Import API (loopback only), for rehearsals and tests."
    )

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "An API key to accept (repeatable).")
    var token: [String] = ["standin-key"]

    @Option(help: "Seconds a job spends in each of queued, validating and processing.")
    var stepSeconds = 1.0

    @Option(help: "Answer the next N requests with 503.")
    var serverErrors = 0

    @Option(help: "Answer the next N requests with 429.")
    var rateLimits = 0

    @Option(help: "Fail the next N jobs with an internal error.")
    var failingJobs = 0

    @Option(help: "Start with N completed jobs of each key in the list (a long history).")
    var history = 0

    func run() async throws {
        var options = StandInOptions()
        options.port = port
        options.tokens = Set(token)
        options.stepSeconds = stepSeconds
        let standIn = ImportAPIStandIn(options: options)
        var faults = StandInFaults()
        faults.serverErrors = serverErrors
        faults.rateLimits = rateLimits
        faults.failingJobs = failingJobs
        await standIn.setFaults(faults)
        for key in token where history > 0 { await standIn.addCompletedJobs(history, token: key) }
        Task {
            let port = await standIn.port()
            print("import-api-standin listening on http://127.0.0.1:\(port)")
        }
        try await standIn.run(shutdownOnSignals: true)
    }
}
