import Foundation
import SwiftnetCore
import SwiftnetFormat

/// One line of a YOLO label file.
public struct YOLOLabel: Sendable, Equatable {
    /// Class index (first field).
    public var classIndex: Int
    /// Normalized box (fields 2–5, float32).
    public var box: Box

    /// Creates a label.
    public init(classIndex: Int, box: Box) {
        self.classIndex = classIndex
        self.box = box
    }
}

/// YOLO label files for evaluation: the format layer's strict parser (`YOLOLabelFile`), plus a class-range check —
/// for ground truth a class outside the names file is an error, not a box to drop.
public enum YOLOLabels {
    /// Parses label text; `path` is used in error messages.
    ///
    /// - Throws: ``EvalError/invalidLabel(path:line:reason:)`` naming the file and 1-based line.
    public static func parse(_ text: String, path: String, classCount: Int) throws -> [YOLOLabel] {
        let boxes: [LabelBox]
        do {
            boxes = try YOLOLabelFile.parse(text, path: path)
        } catch let SwiftnetError.data(path, line, message) {
            throw EvalError.invalidLabel(path: path, line: line ?? 0, reason: message)
        }
        var labels: [YOLOLabel] = []
        for box in boxes {
            guard box.classID < classCount else {
                throw EvalError.invalidLabel(path: path, line: lineOf(box: labels.count, in: text),
                                             reason: "class \(box.classID) is out of range 0..<\(classCount) (the class names list \(classCount))")
            }
            labels.append(YOLOLabel(classIndex: box.classID, box: Box(x: box.x, y: box.y, w: box.w, h: box.h)))
        }
        return labels
    }

    /// The 1-based line of the `index`-th non-blank line.
    private static func lineOf(box index: Int, in text: String) -> Int {
        var seen = -1
        for (n, line) in textLines(text).enumerated() where !line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
            seen += 1
            if seen == index { return n + 1 }
        }
        return 0
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
