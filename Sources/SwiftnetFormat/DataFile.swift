import Foundation

/// A darknet `.data` file: `key=value` lines with cfg lexing (all whitespace removed, `#`/`;` comments).
public struct DataFile: Sendable {
    public var path: String
    public var entries: [String: (value: String, line: Int)]
    /// Each value as written, before darknet's lexing removed its spaces (spaces around it trimmed).
    public var rawValues: [String: String]

    public init(contentsOf path: String) throws {
        let text = try readTextFile(path)
        self.path = path
        entries = [:]
        rawValues = [:]
        var lineNumber = 0
        for raw in textLines(text) {
            lineNumber += 1
            let line = String(raw.unicodeScalars.filter { !$0.properties.isWhitespace })
            guard let first = line.first, first != "#", first != ";" else { continue }
            guard let eq = line.firstIndex(of: "="), eq != line.startIndex else {
                throw SwiftnetError.data(path: path, line: lineNumber, message: "expected key=value, got '\(line)'")
            }
            let key = String(line[..<eq])
            guard line.index(after: eq) != line.endIndex else {
                throw SwiftnetError.data(path: path, line: lineNumber, message: "\(key)= has no value")
            }
            if entries[key] == nil {
                entries[key] = (String(line[line.index(after: eq)...]), lineNumber)
                if let rawEq = raw.firstIndex(of: "=") {
                    rawValues[key] = raw[raw.index(after: rawEq)...].trimmingCharacters(in: .whitespaces)
                }
            }
        }
    }

    public func string(_ key: String) -> String? { entries[key]?.value }

    public func int(_ key: String) throws -> Int? {
        guard let entry = entries[key] else { return nil }
        guard let v = Int(entry.value) else {
            throw SwiftnetError.data(path: path, line: entry.line, message: "\(key): expected an integer, got '\(entry.value)'")
        }
        return v
    }

    /// `classes=`, checked to be a usable class count (1…1,000,000).
    public func classes() throws -> Int? {
        guard let n = try int("classes") else { return nil }
        guard (1...1_000_000).contains(n) else {
            throw SwiftnetError.data(path: path, line: entries["classes"]?.line, message: "classes=\(n): must be 1…1000000")
        }
        return n
    }
}

/// A `.names` file: one class name per line (CR dropped, nothing else trimmed, as darknet).
public enum NamesFile {
    public static func read(_ path: String) throws -> [String] {
        let text = try readTextFile(path)
        var names = textLines(text)
        while names.last == "" { names.removeLast() }
        guard !names.isEmpty else { throw SwiftnetError.data(path: path, line: nil, message: "no class names") }
        return names
    }
}
