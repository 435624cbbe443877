import Foundation

/// One `key=value` line of a cfg section, after darknet's lexing (all whitespace removed).
public struct CfgOption: Equatable, Sendable {
    public var key: String
    public var value: String
    public var line: Int

    public init(key: String, value: String, line: Int) {
        self.key = key
        self.value = value
        self.line = line
    }
}

/// One `[section]` of a cfg file with its options in file order.
public struct CfgSection: Equatable, Sendable {
    /// The section name without brackets, e.g. `convolutional` (aliases are not resolved here).
    public var name: String
    /// 1-based line of the header.
    public var line: Int
    public var options: [CfgOption]
}

/// The lexical content of a darknet `.cfg` (or `.data`-style) file.
///
/// Lexing follows darknet: every space, tab and CR anywhere in a line is deleted; lines starting with `#` or `;`
/// are comments; `[..]` starts a section; other lines split at the first `=`. There are no inline comments.
public struct CfgDocument: Sendable {
    public var path: String
    public var sections: [CfgSection]

    /// Reads and lexes a cfg file.
    public init(contentsOf path: String) throws {
        let text = try readTextFile(path)
        try self.init(text: text, path: path)
    }

    /// Lexes cfg text; `path` is used in error messages.
    public init(text: String, path: String) throws {
        self.path = path
        var sections: [CfgSection] = []
        var lineNumber = 0
        for rawLine in textLines(text) {
            lineNumber += 1
            let line = String(rawLine.unicodeScalars.filter { !$0.properties.isWhitespace })
            guard let first = line.first, first != "#", first != ";" else { continue }
            if first == "[" {
                guard line.hasSuffix("]"), line.count >= 3 else {
                    throw SwiftnetError.cfg(path: path, line: lineNumber, message: "malformed section header '\(line)' (expected [name])")
                }
                sections.append(CfgSection(name: String(line.dropFirst().dropLast()), line: lineNumber, options: []))
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                throw SwiftnetError.cfg(path: path, line: lineNumber, message: "expected key=value, got '\(line)'")
            }
            let key = String(line[..<eq])
            let value = String(line[line.index(after: eq)...])
            guard !key.isEmpty else {
                throw SwiftnetError.cfg(path: path, line: lineNumber, message: "missing key before '=' in '\(line)'")
            }
            guard !value.isEmpty else {
                throw SwiftnetError.cfg(path: path, line: lineNumber, message: "option '\(key)' has no value")
            }
            guard !sections.isEmpty else {
                throw SwiftnetError.cfg(path: path, line: lineNumber, message: "option '\(key)' appears before the first [section]")
            }
            sections[sections.count - 1].options.append(CfgOption(key: key, value: value, line: lineNumber))
        }
        self.sections = sections
    }

    /// The document as cfg text (sections and options in order; comments are not kept), preceded by `header` lines
    /// written as `#` comments.
    public func text(header: [String] = []) -> String {
        var out = header.map { "# " + $0 + "\n" }.joined()
        for section in sections {
            out += (out.isEmpty ? "" : "\n") + "[\(section.name)]\n"
            for option in section.options { out += "\(option.key)=\(option.value)\n" }
        }
        return out
    }
}

/// Reads a whole text file, with errors that name it.
public func readTextFile(_ path: String) throws -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw SwiftnetError.file(path: path, message: "no such file")
    }
    guard !isDirectory.boolValue else { throw SwiftnetError.file(path: path, message: "is a directory, expected a file") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw SwiftnetError.file(path: path, message: "cannot read file")
    }
    if data.contains(0) { throw SwiftnetError.file(path: path, message: "binary data, expected a text file") }
    guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
        throw SwiftnetError.file(path: path, message: "not a text file")
    }
    return withoutByteOrderMark(text)
}

/// Text without a leading UTF-8 byte-order mark (editors on Windows add one; it would glue itself to the first key,
/// name or class id).
public func withoutByteOrderMark(_ text: String) -> String {
    text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
}

/// Splits text into lines at LF, dropping one CR before each LF (CRLF files). Swift treats "\r\n" as one
/// `Character`, so splitting a `String` on "\n" would miss CRLF line ends.
public func textLines(_ text: String) -> [String] {
    var lines: [String] = []
    var current = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        if scalar == "\n" {
            if current.last == "\r" { current.removeLast() }
            lines.append(String(current))
            current = String.UnicodeScalarView()
        } else {
            current.append(scalar)
        }
    }
    if current.last == "\r" { current.removeLast() }
    lines.append(String(current))
    return lines
}
