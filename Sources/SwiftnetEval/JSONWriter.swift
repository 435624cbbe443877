import SwiftnetFormat

/// A minimal JSON value for writing reports (numbers in shortest round-trip form, NaN/∞ as null).
enum JSONValue {
    case number(Double)
    case int(Int)
    case string(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func optional(_ x: Double?) -> JSONValue { x.map { .number($0) } ?? .null }

    /// Pretty-printed text with one-space indentation per level.
    func serialized() -> String {
        var out = ""
        write(into: &out, indent: 0)
        out += "\n"
        return out
    }

    private func write(into out: inout String, indent: Int) {
        switch self {
        case let .number(x):
            out += x.isFinite ? x.description : "null"
        case let .int(i):
            out += String(i)
        case let .string(s):
            JSONValue.writeString(s, into: &out)
        case let .bool(b):
            out += b ? "true" : "false"
        case .null:
            out += "null"
        case let .array(items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 1)
                item.write(into: &out, indent: indent + 1)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case let .object(members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += String(repeating: " ", count: indent + 1)
                JSONValue.writeString(key, into: &out)
                out += ": "
                value.write(into: &out, indent: indent + 1)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\"" + jsonEscaped(s) + "\""
    }
}
