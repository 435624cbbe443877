import Foundation

/// One line of a YOLO label file.
public struct YOLOLabel: Sendable, Equatable {
    /// Class index (first field).
    public var classIndex: Int
    /// Normalized box (fields 2–5, float32).
    public var box: RelativeBox

    /// Creates a label.
    public init(classIndex: Int, box: RelativeBox) {
        self.classIndex = classIndex
        self.box = box
    }
}

/// Parser for YOLO label files (`class x_center y_center width height`, normalized).
///
/// darknet's `read_boxes` reads `%d %f %f %f %f` until the first mismatch and silently drops the
/// rest; this parser is strict instead: every non-blank line must hold exactly one integer class
/// and four finite numbers, and the class must be below the class count. Values are rounded to
/// float32 exactly as `%f` does.
public enum YOLOLabels {
    /// Parses label text; `path` is used in error messages.
    ///
    /// - Throws: ``EvalError/invalidLabel(path:line:reason:)`` naming the file and 1-based line.
    public static func parse(_ text: String, path: String, classCount: Int) throws -> [YOLOLabel] {
        var labels: [YOLOLabel] = []
        var lineNumber = 0
        // Unicode scalars, not Characters: Swift treats "\r\n" as one Character.
        for scalars in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = String(scalars)
            let fields = scalars.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" })
                .map { String($0) }
            if fields.isEmpty { continue }
            guard fields.count == 5 else {
                throw EvalError.invalidLabel(path: path, line: lineNumber,
                                             reason: "expected 5 fields 'class x y w h', found \(fields.count): '\(line)'")
            }
            guard let c = Int(fields[0]) else {
                throw EvalError.invalidLabel(path: path, line: lineNumber, reason: "class '\(fields[0])' is not an integer")
            }
            guard c >= 0, c < classCount else {
                throw EvalError.invalidLabel(path: path, line: lineNumber,
                                             reason: "class \(c) is out of range 0..<\(classCount)")
            }
            var v = [Float](repeating: 0, count: 4)
            for k in 0..<4 {
                guard let x = Float(fields[k + 1]), x.isFinite else {
                    throw EvalError.invalidLabel(path: path, line: lineNumber,
                                                 reason: "'\(fields[k + 1])' is not a finite number")
                }
                v[k] = x
            }
            labels.append(YOLOLabel(classIndex: c, box: RelativeBox(x: v[0], y: v[1], w: v[2], h: v[3])))
        }
        return labels
    }

    /// Reads a label file; returns nil when the file does not exist (darknet: no objects).
    public static func read(path: String, classCount: Int) throws -> [YOLOLabel]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvalError.unreadableFile(path: path, reason: "not readable")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path, classCount: classCount)
    }
}
