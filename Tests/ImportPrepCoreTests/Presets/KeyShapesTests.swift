import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// A preset takes the roles of an object's keys (client column, dropped, renamed) from the last
/// object with the same key list (`KeyShapes`). Whatever came before, a record must map as it
/// would alone: the whole file's rows are compared with each record converted on its own.
@Suite struct KeyShapesTests {
    /// Mixpanel properties whose key lists share lengths but not bytes (`$browser`, a client
    /// column, and `$brOwser`, metadata), share keys in another order, hold an escaped key that
    /// reads as `$browser`, and come in more shapes than are remembered, again and again.
    static func records() -> [String] {
        let lists: [[String]] = [
            [#""$browser":"Chrome""#, #""$os":"Linux""#, #""plan":"pro""#],
            [#""$brOwser":"Chrome""#, #""$os":"Linux""#, #""plan":"pro""#],
            [#""$browser":"Chrome""#, #""$oS":"Linux""#, #""plan":"pro""#],
            [#""$os":"Linux""#, #""$browser":"Chrome""#, #""plan":"pro""#],
            [#""$bro\u0077ser":"Firefox""#, #""$os":"Mac""#, #""plan":"pro""#],
            [#""$browsers":"Chrome""#, #""$os":"Linux""#],
            [#""$city":"Oslo""#, #""mp_country_code":"NO""#, #""$region":"Oslo""#],
            [#""$cit":"Oslo""#, #""mp_country_code":"NO""#, #""$region":"Oslo""#],
            [#""$city":"Oslo""#, #""mp_country_codE":"NO""#, #""$region":"Oslo""#],
            [#""$screen_width":1920"#, #""$screen_height":1080"#, #""$device":"Pixel""#],
            [#""$screen_width":1920"#, #""$screen_heighT":1080"#, #""$device":"Pixel""#],
            [],
        ]
        var lines: [String] = []
        for round in 0..<3 {
            for (k, list) in lists.enumerated() where (k + round) % 4 != 3 {
                let properties =
                    [#""time":\#(1_700_000_000 + lines.count)"#, #""distinct_id":"u-\#(k)""#]
                    + list + [#""$insert_id":"i-\#(lines.count)""#]
                lines.append(#"{"event":"E\#(k)","properties":{\#(properties.joined(separator: ","))}}"#)
            }
            lines.append(
                contentsOf: lists.indices.reversed().map { k in
                    let properties = [#""time":1700000000"#, #""distinct_id":"r-\#(k)""#] + lists[k]
                    return #"{"event":"R\#(k)","properties":{\#(properties.joined(separator: ","))}}"#
                })
        }
        return lines
    }

    @Test func aRecordMapsAsItWouldAloneWhateverShapesCameBefore() throws {
        let lines = Self.records()
        let settings = PresetSettings(preset: .mixpanel)
        let whole = try convert(lines.joined(separator: "\n") + "\n") { $0.preset = settings }
        var alone: [String] = []
        for line in lines {
            alone += try convert(line + "\n") { $0.preset = settings }.outputLines
        }
        #expect(whole.outputLines.count == lines.count)
        #expect(alone.count == lines.count)
        for (k, (together, byItself)) in zip(whole.outputLines, alone).enumerated() {
            #expect(together == byItself, "record \(k + 1): \(lines[k])")
        }
        // The lists really differ in their roles: `$browser` is a client column, `$brOwser` is not.
        #expect(whole.outputLines[0].contains(#""browser":"Chrome""#))
        #expect(!whole.outputLines[1].contains(#""browser":"#))
        #expect(whole.outputLines[1].contains(#""$brOwser":"Chrome""#))
    }
}
