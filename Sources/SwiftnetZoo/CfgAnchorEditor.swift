import SwiftnetFormat

/// Rewrites the anchors of a detector cfg in place: `anchors=`, `num=` and `mask=` of every `[yolo]` section and the
/// `filters=` of the convolution feeding it. Every other line (comments, spacing, other keys) is kept as it is.
public enum CfgAnchorEditor {
    /// Splits `anchorCount` anchors, sorted by area, over YOLO heads as darknet cfgs do: the head with the finest grid
    /// gets the smallest anchors, the coarsest the largest. Heads get `anchorCount / heads` anchors each; the remainder
    /// goes one each to the coarsest heads.
    ///
    /// - Parameter headGridCells: grid cells (`w × h`) of each head, in cfg order.
    /// - Returns: the mask of each head, in cfg order.
    public static func masks(anchorCount: Int, headGridCells: [Int]) throws -> [[Int]] {
        let heads = headGridCells.count
        guard heads >= 1 else { throw SwiftnetError.invalid("the cfg has no [yolo] layer") }
        guard anchorCount >= heads else {
            throw SwiftnetError.invalid("\(anchorCount) anchors cannot be split over \(heads) [yolo] heads (at least one each)")
        }
        // Finest first; equal grids keep cfg order.
        let order = headGridCells.indices.sorted { (headGridCells[$0], -$0) > (headGridCells[$1], -$1) }
        var masks = [[Int]](repeating: [], count: heads)
        var next = 0
        for (rank, head) in order.enumerated() {
            let size = anchorCount / heads + (rank >= heads - anchorCount % heads ? 1 : 0)
            masks[head] = Array(next..<(next + size))
            next += size
        }
        return masks
    }

    /// Rewrites `text` (a cfg) for `anchors` split by `masks` (one per `[yolo]` section, in file order).
    ///
    /// Replaced options keep their key and spacing up to `=`; missing `anchors`, `num` or `mask` lines are inserted
    /// after the `[yolo]` header. Each head's preceding section must be a convolution; its `filters` becomes
    /// `mask.count × (classes + 5)`, with the `[yolo]` section's `classes` (darknet's default 20 when absent).
    ///
    /// - Throws: ``SwiftnetError/cfg(path:line:message:)`` when the sections do not fit.
    public static func rewrite(_ text: String, path: String, anchors: [Anchor], masks: [[Int]],
                               fractional: Bool = false) throws -> String {
        let crlf = text.contains("\r\n")
        var lines = textLines(text)
        let sections = scan(lines)
        let heads = sections.indices.filter { sections[$0].name == "yolo" }
        guard heads.count == masks.count else {
            throw SwiftnetError.cfg(path: path, line: nil, message: "has \(heads.count) [yolo] sections, expected \(masks.count)")
        }

        var replacements: [Int: String] = [:]
        var insertions: [Int: [String]] = [:]
        func set(_ key: String, _ value: String, in section: Section) {
            if let line = section.options[key] {
                // Keep the key and the spacing around `=` as written.
                let raw = lines[line]
                var end = raw.index(after: raw.firstIndex(of: "=")!)
                while end < raw.endIndex, raw[end] == " " || raw[end] == "\t" { end = raw.index(after: end) }
                replacements[line] = String(raw[..<end]) + value
            } else {
                insertions[section.header, default: []].append("\(key)=\(value)")
            }
        }

        let anchorText = Anchor.cfgText(anchors, fractional: fractional)
        for (head, mask) in zip(heads, masks) {
            let yolo = sections[head]
            guard head > 0, ["convolutional", "conv"].contains(sections[head - 1].name) else {
                throw SwiftnetError.cfg(path: path, line: yolo.header + 1,
                                        message: "[yolo] does not follow a [convolutional] section whose filters could be set")
            }
            var classes = 20
            if let line = yolo.options["classes"] {
                let value = lines[line].split(separator: "=", maxSplits: 1).last.map { $0.filter { !$0.isWhitespace } } ?? ""
                guard let parsed = Int(value), parsed >= 1 else {
                    throw SwiftnetError.cfg(path: path, line: line + 1, message: "classes must be a positive integer")
                }
                classes = parsed
            }
            set("mask", mask.map(String.init).joined(separator: ","), in: yolo)
            set("anchors", anchorText, in: yolo)
            set("num", String(anchors.count), in: yolo)
            set("filters", String(mask.count * (classes + 5)), in: sections[head - 1])
        }

        for (line, value) in replacements { lines[line] = value }
        for header in insertions.keys.sorted(by: >) { lines.insert(contentsOf: insertions[header]!, at: header + 1) }
        return lines.joined(separator: crlf ? "\r\n" : "\n")
    }

    /// A section's header line and the line of the first occurrence of each key (0-based).
    struct Section {
        var name: String
        var header: Int
        var options: [String: Int] = [:]
    }

    /// Sections with cfg lexing: whitespace removed, `#`/`;` comment lines skipped.
    static func scan(_ lines: [String]) -> [Section] {
        var sections: [Section] = []
        for (i, raw) in lines.enumerated() {
            let line = raw.filter { !$0.isWhitespace }
            guard let first = line.first, first != "#", first != ";" else { continue }
            if first == "[" {
                sections.append(Section(name: String(line.dropFirst().prefix { $0 != "]" }), header: i))
            } else if let eq = line.firstIndex(of: "="), !sections.isEmpty {
                let key = String(line[..<eq])
                if sections[sections.count - 1].options[key] == nil { sections[sections.count - 1].options[key] = i }
            }
        }
        return sections
    }
}
