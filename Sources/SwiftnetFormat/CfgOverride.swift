/// A `--set section.key=value` override of a cfg option, applied after lexing so that one experiment changes one
/// thing without a hand-edited copy of the cfg.
///
/// `section` is `net`; a layer index (`12`, or `-1` for the last layer); a section type (`yolo`, `convolutional`/`conv`, …) for every section of
/// that type; or `all` for every layer section that has the key — where `all.activation=X` replaces only non-linear
/// activations (not `linear`/`logistic`, which mark heads and CSP transitions).
public struct CfgOverride: Equatable, Sendable, CustomStringConvertible {
    public var section: String
    public var key: String
    public var value: String

    /// Parses `section.key=value`.
    public init(parsing text: String) throws {
        let stripped = String(text.unicodeScalars.filter { !$0.properties.isWhitespace })
        guard let eq = stripped.firstIndex(of: "="), let dot = stripped[..<eq].firstIndex(of: ".") else {
            throw SwiftnetError.invalid("--set \(text): expected section.key=value (e.g. net.mosaic=0, yolo.iou_loss=giou, all.activation=mish)")
        }
        section = String(stripped[..<dot])
        key = String(stripped[stripped.index(after: dot)..<eq])
        value = String(stripped[stripped.index(after: eq)...])
        guard !section.isEmpty, !key.isEmpty, !value.isEmpty else {
            throw SwiftnetError.invalid("--set \(text): section, key and value must not be empty")
        }
    }

    public var description: String { "\(section).\(key)=\(value)" }

    static let aliases: [String: String] = [
        "network": "net", "conv": "convolutional", "conn": "connected", "max": "maxpool", "local_avg": "local_avgpool",
        "avg": "avgpool", "soft": "softmax", "silence": "empty",
    ]

    static func canonical(_ name: String) -> String { aliases[name] ?? name }
}

extension CfgDocument {
    /// Applies overrides in order; returns one line per changed option (`file:line: [section] key: old → new`).
    /// An override that matches no section is an error.
    public mutating func apply(_ overrides: [CfgOverride]) throws -> [String] {
        try applyTracking(overrides).log
    }

    /// ``apply(_:)``, also returning for each override the cfg lines of the options it wrote or added.
    mutating func applyTracking(_ overrides: [CfgOverride]) throws -> (log: [String], written: [Set<Int>]) {
        var log: [String] = []
        var written: [Set<Int>] = []
        for o in overrides {
            var lines = Set<Int>()
            var matched = false
            for s in sections.indices {
                let layerIndex = s - 1
                let name = CfgOverride.canonical(sections[s].name)
                let target = CfgOverride.canonical(o.section)
                let selects: Bool
                switch target {
                case "net": selects = s == 0
                case "all": selects = s > 0 && sections[s].options.contains { $0.key == o.key }
                default:
                    if let index = Int(o.section) {
                        // Negative indices count from the last layer (-1 is the last), never reaching [net].
                        let layers = sections.count - 1
                        selects = s > 0 && layerIndex == (index < 0 ? layers + index : index)
                    } else {
                        selects = s > 0 && name == target
                    }
                }
                guard selects else { continue }
                if let k = sections[s].options.firstIndex(where: { $0.key == o.key }) {
                    let old = sections[s].options[k].value
                    if target == "all" && o.key == "activation" && (old == "linear" || old == "logistic") { continue }
                    matched = true
                    lines.insert(sections[s].options[k].line)
                    guard old != o.value else { continue }
                    sections[s].options[k].value = o.value
                    log.append("\(path):\(sections[s].options[k].line): [\(sections[s].name)] \(o.key): \(old) → \(o.value) (--set \(o))")
                } else {
                    matched = true
                    lines.insert(sections[s].line)
                    sections[s].options.append(CfgOption(key: o.key, value: o.value, line: sections[s].line))
                    log.append("\(path):\(sections[s].line): [\(sections[s].name)] \(o.key) = \(o.value) added (--set \(o))")
                }
            }
            guard matched else {
                if CfgOverride.canonical(o.section) == "all" {
                    throw SwiftnetError.invalid("--set \(o): no layer section of \(path) sets '\(o.key)' (all.KEY changes a key where layers already have it; use a section name or index to add one)")
                }
                throw SwiftnetError.invalid("--set \(o): no section of \(path) matches '\(o.section)'")
            }
            written.append(lines)
        }
        return (log, written)
    }
}

extension NetworkConfig {
    /// Parses a cfg file with overrides applied; `log` receives one line per changed option.
    /// An override whose key no section reads (a typo such as `net.mosiac=1`) is an error.
    public init(contentsOf path: String, overrides: [CfgOverride], log: (String) -> Void = { _ in }) throws {
        try self.init(document: try CfgDocument(contentsOf: path), overrides: overrides, log: log)
    }

    /// ``init(contentsOf:overrides:log:)`` for a document already read (and perhaps already changed).
    public init(document original: CfgDocument, overrides: [CfgOverride], log: (String) -> Void = { _ in }) throws {
        var document = original
        let applied = try document.applyTracking(overrides)
        for line in applied.log { log(line) }
        try self.init(document: document)
        for (o, lines) in zip(overrides, applied.written) {
            // Only the options this override wrote count: an unrelated duplicate of the key stays a warning.
            if let unused = diagnostics.first(where: { $0.message.hasPrefix("unused key '\(o.key)' ") && $0.line.map(lines.contains) == true }) {
                throw SwiftnetError.invalid("--set \(o): \(unused.message.replacingOccurrences(of: "unused key", with: "no layer reads the key")) — is it misspelt?")
            }
        }
    }
}
