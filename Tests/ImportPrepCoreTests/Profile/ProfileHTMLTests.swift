import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `profile --html`: one well-formed, self-contained page with every finding and every day.
@Suite struct ProfileHTMLTests {
    /// Collects element names, `id`s and `data-day`s while parsing; fails on malformed markup.
    final class Reader: NSObject, XMLParserDelegate {
        var elements: [String: Int] = [:]
        var ids: Set<String> = []
        var days: Set<String> = []
        var text = ""

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            elements[name, default: 0] += 1
            if let id = attributes["id"] { ids.insert(id) }
            if let day = attributes["data-day"] { days.insert(day) }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    func read(_ page: String) throws -> Reader {
        // The HTML5 doctype is not XML; the rest must be.
        let body = page.replacingOccurrences(of: "<!DOCTYPE html>", with: "")
        let parser = XMLParser(data: Data(body.utf8))
        let reader = Reader()
        parser.delegate = reader
        let parsed = parser.parse()
        #expect(parsed, "not well-formed: \(String(describing: parser.parserError)) at line \(parser.lineNumber)")
        return reader
    }

    @Test func theSamplePageIsWellFormedAndHasEveryFindingAndDay() throws {
        var options = ProfileOptions()
        options.startedAt = 1_764_547_200  // 2025-12-01
        let profiler = MigrationProfiler(options: options)
        profiler.profile(path: Paths.root.appendingPathComponent("samples/profile-history.ndjson").path)
        let page = ProfileHTML.page(profiler)
        let reader = try read(page)
        let findings = profiler.findings()
        #expect(findings.count >= 15)
        for finding in findings { #expect(reader.ids.contains(finding.code.rawValue), "\(finding.code)") }
        let span = try #require(profiler.span)
        #expect(reader.days.count == span.last - span.first + 1)
        for day in span.first...span.last { #expect(reader.days.contains(MigrationProfiler.dayText(day))) }
        // Gap runs are drawn and named.
        #expect(reader.text.contains("no records: 2024-02-10..2024-02-16"))
        // Self-contained: no script, nothing fetched.
        #expect(reader.elements["script"] == nil)
        #expect(reader.elements["svg"] == 1)
        for fetch in ["src=", "href=", "url(", "@import"] { #expect(!page.contains(fetch), "\(fetch)") }
    }

    @Test func textFromTheRecordsIsEscaped() throws {
        let line =
            "{\"event_type\":\"track\",\"user_id\":\"<script>alert(1)</script>\",\"event_name\":\"E\",\"inserted_at\":\"2024-01-01T10:00:00Z\",\"metadata\":{\"a&b\\\"<i>\":1,\"<b>x\":\"y\"}}"
        let profiler = MigrationProfiler(options: ProfileOptions())
        profiler.profile(source: ByteSource(bytes: Array((line + "\n").utf8), name: "<odd & \"name\">.ndjson"))
        let page = ProfileHTML.page(profiler)
        let reader = try read(page)
        #expect(reader.elements["script"] == nil)
        // The property keys show as text (in the property kinds), not as markup.
        #expect(reader.text.contains("a&b\"<i>"))
        #expect(reader.text.contains("<b>x"))
        #expect(profiler.records == 1)
        #expect(reader.text.contains("<script>alert(1)</script>"))
        #expect(reader.text.contains("<odd & \"name\">.ndjson"))
    }

    @Test func aProfileWithoutRecordsStillRenders() throws {
        let profiler = MigrationProfiler(options: ProfileOptions())
        profiler.profile(source: ByteSource(bytes: Array("not json\n".utf8), name: "bad.ndjson"))
        let reader = try read(ProfileHTML.page(profiler))
        #expect(reader.text.contains("No dated records"))
        #expect(reader.text.contains("1 invalid records were left out"))
    }
}
