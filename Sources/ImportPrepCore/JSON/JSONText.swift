/// JSON text built off the hot path (reports, manifests, error lists): the one string escaper
/// for them. The hot path's writer (`JSONEncoding`) escapes the same way, byte by byte.
public enum JSONText {
    /// `text` as a JSON string: quotes, backslashes and control characters escaped, everything
    /// else (non-ASCII included) as it is.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
