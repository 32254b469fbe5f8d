/// What the fuzz target runs on each input, here so that its regression tests run the same code.
/// The first byte picks the path: 0 the JSON scanner on one record, 1 validate as NDJSON,
/// 2 validate as CSV, 3 both of those drip-fed 7 bytes at a time. Every run must end in a verdict
/// whose counts add up; a broken invariant stops the process.
public enum FuzzHarness {
    public static func run(_ input: UnsafeBufferPointer<UInt8>) {
        guard let selector = input.first else { return }
        let bytes = Array(input.dropFirst())
        switch selector % 4 {
        case 0:
            let scanner = JSONScanner()
            if bytes.withUnsafeBytes({ scanner.scan($0) }) == .object {
                for member in scanner.members {
                    precondition(member.keyStart <= member.keyEnd && member.keyEnd <= bytes.count)
                    precondition(member.valueStart <= member.valueEnd && member.valueEnd <= bytes.count)
                }
            }
        case 1: validate(bytes, as: .ndjson, chunk: .max)
        case 2: validate(bytes, as: .csv, chunk: .max)
        default:
            validate(bytes, as: .ndjson, chunk: 7)
            validate(bytes, as: .csv, chunk: 7)
        }
    }

    private static func validate(_ bytes: [UInt8], as format: InputFormat, chunk: Int) {
        var options = ValidationOptions()
        options.format = format
        options.maxRecordBytes = 512
        options.maxErrors = 5
        let validator = Validator(options: options)
        validator.validate(source: ByteSource(bytes: bytes, name: "fuzz", maxReadSize: chunk))
        let summary = validator.summaries[0]
        precondition(summary.records == summary.valid + summary.invalid, "every record is valid or invalid")
        precondition(summary.readFailure != nil || summary.bytes <= bytes.count, "no byte is invented")
    }
}
