/// Typed access to one section's options with darknet's lookup rules (first occurrence wins), recording which keys
/// were used so that the rest can be reported as unused with their line.
public struct OptionReader {
    public let path: String
    public let section: CfgSection
    private var used: Set<Int> = []
    /// Every key the parser looked up, present or not: the keys this section knows.
    public private(set) var known: Set<String> = []
    /// Keys darknet acts on that swiftnet does not implement, set to a non-zero value: warnings with their line.
    public private(set) var unimplemented: [(option: CfgOption, effect: String)] = []

    public init(path: String, section: CfgSection) {
        self.path = path
        self.section = section
    }

    /// The first option with this key, marked as used. Later duplicates stay unused (and get reported).
    public mutating func option(_ key: String) -> CfgOption? {
        known.insert(key)
        guard let index = section.options.firstIndex(where: { $0.key == key }) else { return nil }
        used.insert(index)
        return section.options[index]
    }

    public mutating func has(_ key: String) -> Bool { option(key) != nil }

    /// Marks keys as known (read and deliberately ignored), e.g. darknet options that do not change the numbers.
    public mutating func ignore(_ keys: [String]) {
        for key in keys { _ = option(key) }
    }

    /// Keys that change darknet's results but are not implemented: accepted at 0 (their default), otherwise recorded
    /// in ``unimplemented`` so that the user is told, with the line, that swiftnet ignores them.
    public mutating func notImplemented(_ keys: [(key: String, effect: String)]) {
        for (key, effect) in keys {
            guard let option = option(key) else { continue }
            if let v = Double(Self.splitComment(option.value).body), v == 0 { continue }
            unimplemented.append((option, effect))
        }
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

    /// A comma-separated integer list, read as darknet reads it: each item with `atoi`, a trailing `#…`/`;…`
    /// comment ignored.
    public mutating func intList(_ key: String) throws -> [Int]? {
        guard let option = option(key) else { return nil }
        return try listElements(option).map { try parseInt($0, option) }
    }

    public mutating func floatList(_ key: String) throws -> [Float]? {
        guard let option = option(key) else { return nil }
        return try listElements(option).map { try parseFloat($0, option) }
    }

    /// Layer references (`layers=`, `from=`): a trailing comma is an error, as darknet would read one more item
    /// (`atoi("") = 0`, a reference to layer 0); so is a comma inside the trailing comment, which darknet counts.
    public func referenceList(_ option: CfgOption) throws -> [Int] {
        let (body, comment) = Self.splitComment(option.value)
        if comment.contains(",") {
            throw error(option, "the comment '\(comment)' contains a comma, which darknet counts as one more layer (layer 0); remove the comma")
        }
        if body.hasSuffix(",") {
            throw error(option, "'\(option.value)' ends with a comma, which darknet reads as one more layer (layer 0); remove it")
        }
        return try body.split(separator: ",", omittingEmptySubsequences: false).map { item in
            guard !item.isEmpty else { throw error(option, "empty element in list '\(option.value)'") }
            return try parseInt(String(item), option)
        }
    }

    /// The known key closest to `key` (a typo such as `activaton`), if one is within two edits.
    public func suggestion(for key: String) -> String? {
        let candidates = known.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }.filter { $0.1 <= min(2, max(1, key.count / 3)) }
        return candidates.min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }?.0
    }

    /// Options that were never looked up, in file order.
    public func unused() -> [CfgOption] {
        section.options.indices.filter { !used.contains($0) }.map { section.options[$0] }
    }

    /// The value before a trailing comment (`#` or `;`, which never occur in numbers) and the comment.
    static func splitComment(_ value: String) -> (body: Substring, comment: Substring) {
        guard let cut = value.firstIndex(where: { $0 == "#" || $0 == ";" }) else { return (Substring(value), "") }
        return (value[..<cut], value[cut...])
    }

    private func listElements(_ option: CfgOption) throws -> [String] {
        let text = Self.splitComment(option.value).body
        var parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 1, parts.last == "" { parts.removeLast() }
        if parts.contains("") { throw error(option, "empty element in list '\(option.value)'") }
        return parts
    }

    /// An integer as darknet's `atoi` reads it, with the tail it would ignore allowed only when it is a comment or
    /// a zero fraction (`32.0`); `32.5`, which darknet silently reads as 32, is an error.
    private func parseInt(_ text: String, _ option: CfgOption) throws -> Int {
        let body = Self.splitComment(text).body
        if let v = Int(body) { return v }
        if let (prefix, rest) = Self.numericPrefix(body, allowFraction: false), let v = Int(prefix) {
            if rest.first == ".", rest.dropFirst().allSatisfy({ $0 == "0" }) { return v }
            if rest.first == ".", Double(String(body)) != nil {
                throw error(option, "expected an integer, got '\(text)' (darknet would silently read \(v))")
            }
        }
        throw error(option, "expected an integer, got '\(text)'")
    }

    /// A number as darknet's `atof` reads it, a trailing comment allowed.
    private func parseFloat(_ text: String, _ option: CfgOption) throws -> Float {
        let body = Self.splitComment(text).body
        if let v = Float(body), v.isFinite { return v }
        throw error(option, "expected a number, got '\(text)'")
    }

    private static func numericPrefix(_ text: Substring, allowFraction: Bool) -> (Substring, Substring)? {
        var end = text.startIndex
        for (offset, ch) in zip(text.indices, text) {
            let ok = ch.isASCII && (ch.isNumber || ((ch == "-" || ch == "+") && offset == text.startIndex) || (allowFraction && (ch == "." || ch == "e" || ch == "E")))
            if !ok { break }
            end = text.index(after: offset)
        }
        guard end > text.startIndex else { return nil }
        return (text[..<end], text[end...])
    }
}

/// Levenshtein distance (insertions, deletions, substitutions; a swap of neighbours counts as one edit).
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous2 = [Int](repeating: 0, count: y.count + 1)
    var previous = Array(0...y.count)
    for i in 1...x.count {
        var current = [i] + [Int](repeating: 0, count: y.count)
        for j in 1...y.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { current[j] = min(current[j], previous2[j - 2] + 1) }
        }
        previous2 = previous
        previous = current
    }
    return previous[y.count]
}
