import Foundation

/// One object of a YOLO label file: a class and a box relative to the image (centre and size, 0…1).
public struct LabelBox: Equatable, Sendable {
    /// Class index (the first field of the line).
    public var classID: Int
    /// Box centre, relative to the image width and height.
    public var x: Float
    public var y: Float
    /// Box size, relative to the image width and height.
    public var w: Float
    public var h: Float

    /// Creates a box from its class and relative centre/size.
    public init(classID: Int, x: Float, y: Float, w: Float, h: Float) {
        self.classID = classID
        self.x = x
        self.y = y
        self.w = w
        self.h = h
    }
}

/// Reader for YOLO label files (`class x_center y_center width height` per line, relative coordinates), the
/// training-side counterpart of darknet's `data.c:read_boxes` (spec §5.1).
///
/// darknet reads `%d %f %f %f %f` records until the first mismatch and silently ignores the rest; this reader is
/// strict instead: every non-blank line must hold exactly one non-negative integer class and four finite numbers.
/// Class ids at or above the network's class count are *not* an error here: darknet drops them during
/// augmentation (``DetectionAugment/fillTruth(_:plan:imageWidth:imageHeight:params:rng:)``).
public enum YOLOLabelFile {
    /// Reads a label file.
    ///
    /// - Returns: the boxes in file order, `[]` for an empty file, or `nil` when the file does not exist (darknet:
    ///   a background image without objects).
    /// - Throws: ``SwiftnetError/data(path:line:message:)`` naming the file and 1-based line of a malformed record;
    ///   ``SwiftnetError/file(path:message:)`` when the path exists but cannot be read.
    public static func read(path: String) throws -> [LabelBox]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue else { throw SwiftnetError.file(path: path, message: "is a directory, expected a label file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SwiftnetError.file(path: path, message: "cannot read label file")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses label text; `path` names the source in errors.
    public static func parse(_ text: String, path: String) throws -> [LabelBox] {
        let text = withoutByteOrderMark(text)
        var boxes: [LabelBox] = []
        var lineNumber = 0
        // Split on unicode scalars: Swift's Character view treats "\r\n" as one character.
        for scalars in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let fields = scalars.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" })
                .map { String($0) }
            if fields.isEmpty { continue }
            func fail(_ message: String) -> SwiftnetError { .data(path: path, line: lineNumber, message: message) }
            guard fields.count == 5 else {
                throw fail("expected 5 fields 'class x_center y_center width height', found \(fields.count): '\(String(scalars))'")
            }
            guard let classID = Int(fields[0]) else { throw fail("class '\(fields[0])' is not an integer") }
            guard classID >= 0 else { throw fail("class \(classID) is negative") }
            var values: (Float, Float, Float, Float) = (0, 0, 0, 0)
            for k in 0..<4 {
                guard let v = Float(fields[k + 1]), v.isFinite else {
                    throw fail("'\(fields[k + 1])' is not a finite number")
                }
                switch k {
                case 0: values.0 = v
                case 1: values.1 = v
                case 2: values.2 = v
                default: values.3 = v
                }
            }
            boxes.append(LabelBox(classID: classID, x: values.0, y: values.1, w: values.2, h: values.3))
        }
        return boxes
    }
}
