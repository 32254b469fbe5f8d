import ArgumentParser
import ImportPrepCore

extension Preset: ExpressibleByArgument {
    public init?(argument: String) {
        guard let preset = Preset(rawValue: argument), preset != .mapped else { return nil }
        self = preset
    }

    public static var allValueStrings: [String] { vendors.map(\.rawValue) }
}

/// `--from VENDOR` and the choices of SPEC §8 that go with it, shared by `validate` and `convert`.
struct PresetOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Read a vendor's export and map it onto the four event types; `import-prep presets show NAME` says how.",
            valueName: "vendor"))
    var from: Preset?

    @Option(
        name: .customLong("map"),
        help: ArgumentHelp(
            "Map any other CSV or NDJSON export with this mapping file (YAML or JSON; see docs/presets.md).",
            valueName: "file"))
    var mapFile: String?

    @Option(
        name: .customLong("page-event"),
        help: ArgumentHelp("Another vendor event name that becomes page_view (repeatable).", valueName: "name"))
    var pageEvents: [String] = []

    @Option(help: ArgumentHelp("The property that holds the user id instead of the vendor's own.", valueName: "name"))
    var userProp: String?

    @Flag(help: "Use the device or anonymous id when a record has no user id (default: skip it).")
    var keepAnonymous = false

    @Option(
        name: .customLong("keep-event"),
        help: ArgumentHelp("Keep a vendor-internal event that is skipped by default (repeatable).", valueName: "name"))
    var keepEvents: [String] = []

    @Option(
        help: ArgumentHelp("Move every time by this many seconds (Mixpanel projects in local time).", valueName: "n"))
    var shiftSeconds: Int = 0

    @Option(help: ArgumentHelp("The event property that holds the company id (Mixpanel).", valueName: "name"))
    var companyProp: String?

    @Option(help: ArgumentHelp("The group type that is the company (Amplitude, PostHog).", valueName: "type"))
    var groupType: String?

    @Option(
        help: ArgumentHelp(
            "The time of profiles that have no last-seen or creation time (e.g. 2024-01-01T00:00:00Z).",
            valueName: "timestamp"))
    var profileTime: String?

    @Option(
        help: ArgumentHelp("Heap: the event name of an event table without an event_name column.", valueName: "name"))
    var eventName: String?

    @Flag(help: "Drop every record whose vendor event key ($insert_id, uuid, messageId, …) an earlier one had.")
    var dedupe = false

    @Option(
        help: ArgumentHelp(
            "Folder for the duplicate check's temporary files (24 bytes per record; removed when done).",
            valueName: "dir"))
    var tmp: String?

    @Flag(help: "Do not write identify rows derived from properties carried on events.")
    var noDerivedIdentify = false

    func validate() throws {
        if from != nil && mapFile != nil { throw ValidationError("Give either --from VENDOR or --map FILE, not both.") }
        if let profileTime, Timestamp.vendorTime(profileTime) == nil {
            throw ValidationError("--profile-time takes a date and time such as 2024-01-01T00:00:00Z.")
        }
        guard from == nil && mapFile == nil else { return }
        let given = [
            (!pageEvents.isEmpty, "--page-event"), (userProp != nil, "--user-prop"),
            (keepAnonymous, "--keep-anonymous"),
            (!keepEvents.isEmpty, "--keep-event"), (shiftSeconds != 0, "--shift-seconds"),
            (companyProp != nil, "--company-prop"), (groupType != nil, "--group-type"),
            (noDerivedIdentify, "--no-derived-identify"), (profileTime != nil, "--profile-time"),
            (dedupe, "--dedupe"), (eventName != nil, "--event-name"),
        ].filter(\.0).map(\.1)
        if let first = given.first { throw ValidationError("\(first) goes with --from VENDOR.") }
    }

    /// `--dedupe` reads each input twice; `--tmp` is for the duplicate checks of a preset (or of
    /// `profile`, which always has them: `tmpAlone`).
    func check(files: [String], tmpAlone: Bool = false) throws {
        if tmp != nil && from == nil && mapFile == nil && !tmpAlone {
            throw ValidationError("--tmp goes with --from VENDOR.")
        }
        if dedupe && files.contains("-") {
            throw ValidationError("--dedupe reads each input twice, and standard input can be read once: give a file.")
        }
    }

    /// The mapping file, read and checked against the first records of `files` (usage errors name
    /// its line).
    func mapping(files: [String], format: InputFormat?, delimiter: UInt8) throws -> MappingFile? {
        guard let mapFile else { return nil }
        do {
            let mapping = try MappingFile.load(path: mapFile)
            try mapping.checkFields(
                against: files,
                csv: { path in format == .csv || (format == nil && path.lowercased().hasSuffix(".csv")) },
                delimiter: delimiter)
            return mapping
        } catch {
            throw ValidationError("the mapping file \(error.description)")
        }
    }

    /// The settings of the preset or the mapping file, when `--from` or `--map` is given.
    func settings(files: [String], format: InputFormat?, delimiter: UInt8) throws -> PresetSettings? {
        if let mapping = try mapping(files: files, format: format, delimiter: delimiter) {
            var settings = PresetSettings(preset: .mapped)
            settings.mapping = mapping
            settings.shiftSeconds = shiftSeconds
            return settings
        }
        guard var settings = self.settings else { return nil }
        if settings.preset == .heap {
            settings.heapIdentities = HeapIdentities.load(
                paths: files, csv: { path in format == .csv || (format == nil && path.lowercased().contains(".csv")) },
                delimiter: delimiter)
        }
        return settings
    }

    /// The settings of the preset, when `--from` is given.
    var settings: PresetSettings? {
        guard let from else { return nil }
        var settings = PresetSettings(preset: from)
        settings.pageEvents = pageEvents
        settings.userProperty = userProp
        settings.keepAnonymous = keepAnonymous
        settings.keepEvents = keepEvents
        settings.shiftSeconds = shiftSeconds
        settings.companyProperty = companyProp
        settings.groupType = groupType
        settings.derivedIdentify = !noDerivedIdentify
        settings.profileTime = profileTime.flatMap(Timestamp.vendorTime)
        settings.dedupe = dedupe
        settings.eventName = eventName
        if let tmp { settings.temporaryFolder = tmp }
        return settings
    }
}

/// `import-prep presets` and `presets show NAME`.
struct Presets: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the vendor presets of --from, or show what one reads, maps and skips.",
        discussion: """
            Examples:
              import-prep presets
              import-prep presets show amplitude

            Exit status: 0, or 2 for a name that is not a preset.
            More: docs/presets.md.
            """,
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the presets.")

        func run() {
            var text = ""
            for preset in Preset.vendors {
                text += preset.rawValue.padding(toLength: 19, withPad: " ", startingAt: 0) + preset.reads + "\n"
            }
            text += "\nimport-prep presets show NAME prints a preset's rules.\n"
            FileHandleOutput.standardOutput(text)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what a preset reads, maps and skips.")

        @Argument(help: ArgumentHelp("The preset.", valueName: "name"))
        var name: Preset

        func run() { FileHandleOutput.standardOutput(name.rules) }
    }
}
