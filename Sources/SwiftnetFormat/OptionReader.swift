/// Typed access to one section's options with darknet's lookup rules (first occurrence wins), recording which keys
/// were used so that the rest can be reported as unused with their line.
public struct OptionReader {
    public let path: String
    public let section: CfgSection
    private var used: Set<Int> = []

    public init(path: String, section: CfgSection) {
        self.path = path
        self.section = section
    }

    /// The first option with this key, marked as used. Later duplicates stay unused (and get reported).
    public mutating func option(_ key: String) -> CfgOption? {
        guard let index = section.options.firstIndex(where: { $0.key == key }) else { return nil }
        used.insert(index)
        return section.options[index]
    }

    public mutating func has(_ key: String) -> Bool { option(key) != nil }

    /// Marks keys as known (read and deliberately ignored), e.g. darknet options that do not change the numbers.
    public mutating func ignore(_ keys: [String]) {
        for key in keys { _ = option(key) }
    }

    public func error(_ option: CfgOption, _ message: String) -> SwiftnetError {
        .cfg(path: path, line: option.line, message: "\(option.key): \(message)")
    }

    public func sectionError(_ message: String) -> SwiftnetError {
        .cfg(path: path, line: section.line, message: "[\(section.name)]: \(message)")
    }

    public mutating func string(_ key: String) -> String? { option(key)?.value }

    public mutating func string(_ key: String, default value: String) -> String { option(key)?.value ?? value }

    public mutating func int(_ key: String) throws -> Int? {
        guard let option = option(key) else { return nil }
        return try parseInt(option.value, option)
    }

    public mutating func int(_ key: String, default value: Int) throws -> Int { try int(key) ?? value }

    public mutating func float(_ key: String) throws -> Float? {
        guard let option = option(key) else { return nil }
        return try parseFloat(option.value, option)
    }

    public mutating func float(_ key: String, default value: Float) throws -> Float { try float(key) ?? value }

    public mutating func bool(_ key: String, default value: Bool = false) throws -> Bool {
        guard let v = try int(key) else { return value }
        return v != 0
    }

    /// A comma-separated integer list; darknet stops reading such lists at the first `#`.
    public mutating func intList(_ key: String) throws -> [Int]? {
        guard let option = option(key) else { return nil }
        return try listElements(option).map { try parseInt($0, option) }
    }

    public mutating func floatList(_ key: String) throws -> [Float]? {
        guard let option = option(key) else { return nil }
        return try listElements(option).map { try parseFloat($0, option) }
    }

    /// Options that were never looked up, in file order.
    public func unused() -> [CfgOption] {
        section.options.indices.filter { !used.contains($0) }.map { section.options[$0] }
    }

    private func listElements(_ option: CfgOption) throws -> [String] {
        var text = Substring(option.value)
        if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
        var parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 1, parts.last == "" { parts.removeLast() }
        if parts.contains("") { throw error(option, "empty element in list '\(option.value)'") }
        return parts
    }

    private func parseInt(_ text: String, _ option: CfgOption) throws -> Int {
        if let v = Int(text) { return v }
        // darknet reads numbers with atoi; tolerate a trailing comment glued to the number (`64#x`).
        if let (prefix, rest) = numericPrefix(text, allowFraction: false), let v = Int(prefix), rest.first == "#" || rest.first == ";" {
            return v
        }
        throw error(option, "expected an integer, got '\(text)'")
    }

    private func parseFloat(_ text: String, _ option: CfgOption) throws -> Float {
        if let v = Float(text), v.isFinite { return v }
        if let (prefix, rest) = numericPrefix(text, allowFraction: true), let v = Float(prefix), rest.first == "#" || rest.first == ";" {
            return v
        }
        throw error(option, "expected a number, got '\(text)'")
    }

    private func numericPrefix(_ text: String, allowFraction: Bool) -> (String, Substring)? {
        var end = text.startIndex
        for (offset, ch) in zip(text.indices, text) {
            let ok = ch.isNumber || ((ch == "-" || ch == "+") && offset == text.startIndex) || (allowFraction && (ch == "." || ch == "e" || ch == "E"))
            if !ok { break }
            end = text.index(after: offset)
        }
        guard end > text.startIndex else { return nil }
        return (String(text[..<end]), text[end...])
    }
}
