/// The text of one cfg value, written exactly as given (`.1`, `0.07`, `12,16, 19,36`).
///
/// String literals and interpolations (`"\(filters)"`) and integer literals convert implicitly, so option lists
/// read like the cfg they produce.
public struct CfgValue: ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral, CustomStringConvertible, Sendable {
    /// The value as written after `=`.
    public let text: String

    /// A value written as given.
    public init(_ text: String) { self.text = text }
    /// An integer value.
    public init(_ value: Int) { text = String(value) }
    /// A value written as the literal.
    public init(stringLiteral value: String) { text = value }
    /// An integer literal value.
    public init(integerLiteral value: Int) { text = String(value) }
    /// The value as written.
    public var description: String { text }
}

/// The options of one section, in the order they are written; duplicated keys are kept (as darknet reads them).
public struct CfgOptionList: ExpressibleByDictionaryLiteral, Sendable {
    /// The options in writing order.
    public var entries: [(key: String, value: CfgValue)]

    /// A list of the given options.
    public init(_ entries: [(key: String, value: CfgValue)] = []) { self.entries = entries }
    /// The options of a literal, in its order.
    public init(dictionaryLiteral elements: (String, CfgValue)...) { entries = elements.map { (key: $0.0, value: $0.1) } }

    /// Appends one option.
    public mutating func append(_ key: String, _ value: CfgValue) { entries.append((key: key, value: value)) }

    /// Both lists, `lhs` first.
    public static func + (lhs: CfgOptionList, rhs: CfgOptionList) -> CfgOptionList { CfgOptionList(lhs.entries + rhs.entries) }
}

/// A reference from a `[route]` or `[shortcut]` to an earlier layer, by absolute index.
public enum LayerRef: Sendable {
    /// Written relative to the referring layer (`-3`), the usual style for nearby layers.
    case layer(Int)
    /// Written as the absolute index (`79`), the usual style for a backbone output routed into the neck.
    case absolute(Int)
}

/// Emits darknet cfg text section by section and counts the layers, so that callers can refer to layers by the index
/// a section received.
///
/// Layout: an optional header comment block and a blank line, then the sections separated by one blank line; comments
/// queued with ``comment(_:)`` are written directly above the next section header. Options are `key=value` lines.
public struct CfgWriter: Sendable {
    private var headerLines: [String] = []
    private var lines: [String] = []
    private var pendingComments: [String] = []
    /// Index the next layer section will get (`[net]` is not a layer).
    public private(set) var nextLayer = 0

    /// An empty file.
    public init() {}

    /// Index of the most recently written layer.
    public var lastLayer: Int { nextLayer - 1 }

    /// Sets the comment block at the top of the file (above `[net]`; each line gets a `# ` prefix). It may be set
    /// last, once the layers are known.
    public mutating func header(_ comments: [String]) {
        headerLines = comments.map { $0.isEmpty ? "#" : "# " + $0 }
    }

    /// Queues a comment line (`# text`) for the next section.
    public mutating func comment(_ text: String) {
        pendingComments.append("# " + text)
    }

    /// Writes `[net]`; each option group is separated from the next by a blank line.
    public mutating func net(_ groups: [CfgOptionList]) {
        precondition(nextLayer == 0, "[net] comes before the layers")
        startSection("net")
        for (i, group) in groups.enumerated() {
            if i > 0 { lines.append("") }
            write(group)
        }
    }

    /// Writes one layer section and returns its index.
    @discardableResult
    public mutating func layer(_ name: String, _ options: CfgOptionList = [:]) -> Int {
        startSection(name)
        write(options)
        nextLayer += 1
        return nextLayer - 1
    }

    /// The text of a reference list as the layer about to be written (``nextLayer``) sees it, e.g. `-1,8`.
    public func references(_ refs: [LayerRef]) -> CfgValue {
        let parts = refs.map { ref -> String in
            switch ref {
            case .layer(let index):
                precondition(index < nextLayer, "layer \(index) does not come before layer \(nextLayer)")
                return String(index - nextLayer)
            case .absolute(let index):
                return String(index)
            }
        }
        return CfgValue(parts.joined(separator: ","))
    }

    /// The cfg text, ending with one newline.
    public var text: String {
        let all = headerLines.isEmpty ? lines : headerLines + [""] + lines
        return all.joined(separator: "\n") + "\n"
    }

    private mutating func startSection(_ name: String) {
        if let last = lines.last, !last.isEmpty { lines.append("") }
        lines += pendingComments
        pendingComments = []
        lines.append("[\(name)]")
    }

    private mutating func write(_ options: CfgOptionList) {
        for (key, value) in options.entries { lines.append("\(key)=\(value.text)") }
    }
}
