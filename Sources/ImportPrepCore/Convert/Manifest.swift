#if canImport(Glibc)
    import Glibc
#endif

/// `manifest.json` of a chunk folder, written last (under a temporary name, then renamed).
enum Manifest {
    static func write(_ s: ConvertSummary, options: ConvertOptions, rejectsPath: String?, to directory: String)
        throws(IOFailure)
    {
        let q = ReportRenderer.quote
        func source(_ position: (input: Int, line: Int)) -> String {
            "{\"file\":\(q(s.inputs[position.input].file)),\"line\":\(position.line)}"
        }
        var text =
            "{\n  \"version\": 1,\n  \"tool\": \"import-prep \(options.mode == .convert ? "convert" : "split")\",\n"
        text += "  \"complete\": \(s.interruption == nil),\n"
        if let interruption = s.interruption {
            text +=
                "  \"interrupted\": {\"signal\": \(interruption.signal), \"file\": \(q(interruption.file)), \"line\": \(interruption.line), "
            text +=
                "\"note\": \"stopped after this input line; chunks listed here are complete, later records were not read\"},\n"
        }
        text += "  \"max_bytes\": \(options.maxChunkBytes),\n"
        text += "  \"max_rows\": \(options.maxChunkRows == .max ? "null" : String(options.maxChunkRows)),\n"
        text +=
            "  \"inputs\": ["
            + s.inputs.map { input in
                "{\"file\":\(q(input.file)),\"format\":\(input.format.map { q($0.rawValue) } ?? "null"),\"bytes\":\(input.bytes)"
                    + (input.readFailure.map { ",\"read_error\":\(q($0))" } ?? "")
                    + ReportRenderer.fileErrorJSON(input) + "}"
            }.joined(separator: ", ") + "],\n"
        text +=
            "  \"totals\": {\"records\": \(s.records), \"written\": \(s.written), \"rejected\": \(s.rejected), \"not_written\": \(s.notWritten), "
        text += "\"blank_lines\": \(s.blankLines), \"chunks\": \(s.chunks.count), "
        text +=
            "\"bytes\": \(s.chunks.reduce(0) { $0 + $1.bytes }), \"by_event_type\": \(eventTypes(s.byEventType))},\n"
        text += "  \"rejects\": \(rejectsPath.map(q) ?? "null"),\n"
        text +=
            "  \"chunks\": [\n"
            + s.chunks.map { chunk in
                "    {\"file\":\(q(chunk.file)),\"bytes\":\(chunk.bytes),\"records\":\(chunk.records),\"sha256\":\(q(chunk.sha256)),"
                    + "\"first_source\":\(source(chunk.firstSource)),\"last_source\":\(source(chunk.lastSource)),"
                    + "\"by_event_type\":\(eventTypes(chunk.byEventType)),"
                    + "\"first_inserted_at\":\(q(chunk.firstInsertedAt)),\"last_inserted_at\":\(q(chunk.lastInsertedAt))}"
            }.joined(separator: ",\n") + "\n  ]\n}\n"

        let output = try OutputFile.create(path: directory + "/manifest.json")
        try output.write(text)
        try output.close()
    }

    static func eventTypes(_ counts: [Int]) -> String {
        "{" + EventType.allCases.map { "\"\($0.name)\":\(counts[$0.rawValue])" }.joined(separator: ",") + "}"
    }
}
