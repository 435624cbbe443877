import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetEval
import SwiftnetFormat

/// One problem found in a dataset, with the file (and line) it concerns.
public struct DataIssue: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case missingImage = "missing_image"
        case unreadableImage = "unreadable_image"
        case malformedLabel = "malformed_label"
        case classOutOfRange = "class_out_of_range"
        case boxOutOfRange = "box_out_of_range"
        case zeroSizeBox = "zero_size_box"
        case duplicateLine = "duplicate_line"
        case missingLabelFile = "missing_label_file"
        case emptyLabelFile = "empty_label_file"
        case boxExtendsOutside = "box_extends_outside"
        case duplicateImage = "duplicate_image"
        case trainValidOverlap = "train_valid_overlap"
    }

    public var kind: Kind
    public var file: String
    public var line: Int?
    public var message: String
    /// The image this issue belongs to (the training sample to skip).
    public var image: String

    /// Problems that make a sample unusable; the others are reported as warnings.
    public var isError: Bool {
        switch kind {
        case .missingLabelFile, .emptyLabelFile, .boxExtendsOutside, .duplicateImage, .trainValidOverlap: return false
        default: return true
        }
    }

    public var description: String {
        (line.map { "\(file):\($0): " } ?? "\(file): ") + message
    }
}

/// The result of checking a dataset's image lists and labels before training.
public struct DataCheckReport: Sendable {
    public var images = 0
    public var objects = 0
    public var backgroundImages = 0
    /// A classifier dataset (labels from the image paths, no label files).
    public var classification = false
    public var issues: [DataIssue] = []

    public var errors: [DataIssue] { issues.filter(\.isError) }
    public var warnings: [DataIssue] { issues.filter { !$0.isError } }
    /// Images with at least one error.
    public var badImages: Set<String> { Set(errors.map(\.image)) }

    /// A readable report: counts, then every error and warning with its file and line.
    public func text() -> String {
        var lines = [classification ? "\(images) images, each labelled by the one class name in its path"
                                    : "\(images) images, \(objects) objects, \(backgroundImages) background images (no label file or an empty one)"]
        lines.append("\(errors.count) errors in \(badImages.count) images, \(warnings.count) warnings")
        for kind in DataIssue.Kind.allCases {
            let n = issues.filter { $0.kind == kind }.count
            if n > 0 { lines.append("  \(kind.rawValue): \(n)") }
        }
        lines += errors.map { "error: \($0)" }
        lines += warnings.map { "warning: \($0)" }
        return lines.joined(separator: "\n")
    }

    /// The report as JSON.
    public func json() -> String {
        func entries(_ list: [DataIssue]) -> String {
            list.map { i in
                "{\"kind\":\"\(i.kind.rawValue)\",\"file\":\"\(jsonEscaped(i.file))\",\"line\":\(i.line.map(String.init) ?? "null"),\"image\":\"\(jsonEscaped(i.image))\",\"message\":\"\(jsonEscaped(i.message))\"}"
            }.joined(separator: ",\n    ")
        }
        return """
        {
          "images": \(images),
          "objects": \(objects),
          "background_images": \(backgroundImages),
          "bad_images": \(badImages.count),
          "errors": [
            \(entries(errors))
          ],
          "warnings": [
            \(entries(warnings))
          ]
        }

        """
    }
}

/// `swiftnet check-data`: every image decodes, every label line is `class x y w h` with a known class and a box
/// inside the image, no line is repeated; missing or empty label files are background images (warnings).
public enum DataCheck {
    /// The distinct images of `lists` in order, and the list-level issues: an image listed twice in one list, an
    /// image in two lists (training images used for validation). A list given twice (train and valid naming the
    /// same file) is read once, so each problem is reported once.
    static func distinctImages(_ lists: [ImageList]) -> (paths: [String], issues: [DataIssue], listed: [String: (list: String, line: Int)]) {
        var issues: [DataIssue] = []
        var firstSeen: [String: (list: String, line: Int)] = [:]
        var paths: [String] = []
        var listsSeen = Set<String>()
        for list in lists {
            guard listsSeen.insert(fileIdentity(list.path)).inserted else { continue }
            for entry in list.entries {
                let key = URL(fileURLWithPath: entry.path).standardizedFileURL.path
                if let first = firstSeen[key] {
                    if first.list == list.path {
                        issues.append(DataIssue(kind: .duplicateImage, file: list.path, line: entry.line,
                                                message: "\(entry.path) is listed again (first at line \(first.line)): it is trained on twice as often", image: entry.path))
                    } else {
                        issues.append(DataIssue(kind: .trainValidOverlap, file: list.path, line: entry.line,
                                                message: "\(entry.path) is also in \(first.list) (line \(first.line)): evaluating on training images overstates mAP", image: entry.path))
                    }
                    continue
                }
                firstSeen[key] = (list.path, entry.line)
                paths.append(entry.path)
            }
        }
        var listed: [String: (list: String, line: Int)] = [:]
        for path in paths { listed[path] = firstSeen[URL(fileURLWithPath: path).standardizedFileURL.path] }
        return (paths, issues, listed)
    }

    /// Missing images are named by the list line that names them, with a hint when the path exists relative to the
    /// list's own folder.
    static func locatingMissing(_ issues: [DataIssue], _ listed: [String: (list: String, line: Int)]) -> [DataIssue] {
        issues.map { issue in
            guard issue.kind == .missingImage, let place = listed[issue.image] else { return issue }
            let list = ImageList(path: place.list, entries: [ImageListEntry(path: issue.image, line: place.line)])
            guard case let .data(file, line, message)? = list.missingImage() else { return issue }
            return DataIssue(kind: .missingImage, file: file, line: line, message: message, image: issue.image)
        }
    }

    /// The same file however it is spelt (device and inode), or the path when it cannot be read.
    static func fileIdentity(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return path }
        return "\(info.st_dev):\(info.st_ino)"
    }

    /// Checks every image of `lists` once against `classes`, and the lists themselves (duplicates, overlap).
    public static func check(lists: [ImageList], classes: Int) -> DataCheckReport {
        let (paths, listIssues, listed) = distinctImages(lists)
        var report = check(images: paths, classes: classes)
        report.issues = listIssues + locatingMissing(report.issues, listed)
        return report
    }

    /// Classification datasets: ``checkClassification(images:names:)`` of every listed image once, and the lists.
    public static func checkClassification(lists: [ImageList], names: [String]) -> DataCheckReport {
        let (paths, listIssues, listed) = distinctImages(lists)
        var report = checkClassification(images: paths, names: names)
        report.issues = listIssues + locatingMissing(report.issues, listed)
        return report
    }

    /// Checks the given image paths against `classes`.
    public static func check(images paths: [String], classes: Int) -> DataCheckReport {
        var perImage = [([DataIssue], Int, Bool)](repeating: ([], 0, false), count: paths.count)
        perImage.withUnsafeMutableBufferPointer { results in
            let out = results.baseAddress!
            Parallel.tasks(paths.count) { k, _ in
                out[k] = checkImage(paths[k], classes: classes)
            }
        }
        var report = DataCheckReport()
        report.images = paths.count
        for (issues, objects, background) in perImage {
            report.issues += issues
            report.objects += objects
            if background { report.backgroundImages += 1 }
        }
        return report
    }

    /// Classification datasets: every image decodes and exactly one class name occurs in its path.
    public static func checkClassification(images paths: [String], names: [String]) -> DataCheckReport {
        var perImage = [[DataIssue]](repeating: [], count: paths.count)
        perImage.withUnsafeMutableBufferPointer { results in
            let out = results.baseAddress!
            Parallel.tasks(paths.count) { k, _ in
                var issues: [DataIssue] = []
                let resolved = paths[k]
                if !FileManager.default.fileExists(atPath: resolved) {
                    issues.append(DataIssue(kind: .missingImage, file: resolved, line: nil, message: "image does not exist", image: paths[k]))
                } else if let error = (Result { try ImageIO.readRGB(resolved) }).failure {
                    issues.append(DataIssue(kind: .unreadableImage, file: resolved, line: nil, message: message(error), image: paths[k]))
                }
                do { _ = try ClassifierAugment.label(forPath: paths[k], names: names) } catch {
                    issues.append(DataIssue(kind: .malformedLabel, file: paths[k], line: nil, message: message(error), image: paths[k]))
                }
                out[k] = issues
            }
        }
        var report = DataCheckReport()
        report.classification = true
        report.images = paths.count
        report.objects = paths.count
        report.issues = perImage.flatMap { $0 }
        return report
    }

    static func message(_ error: Error) -> String {
        switch error {
        case let SwiftnetError.image(_, m), let SwiftnetError.data(_, _, m), let SwiftnetError.file(_, m): return m
        default: return "\(error)"
        }
    }

    static func checkImage(_ path: String, classes: Int) -> ([DataIssue], Int, Bool) {
        let resolved = path
        var issues: [DataIssue] = []
        func add(_ kind: DataIssue.Kind, _ file: String, _ line: Int?, _ message: String) {
            issues.append(DataIssue(kind: kind, file: file, line: line, message: message, image: path))
        }
        if !FileManager.default.fileExists(atPath: resolved) {
            add(.missingImage, resolved, nil, "image does not exist")
            return (issues, 0, false)
        } else {
            do { _ = try ImageIO.readRGB(resolved) } catch let error as SwiftnetError {
                if case let .image(_, message) = error { add(.unreadableImage, resolved, nil, message) } else { add(.unreadableImage, resolved, nil, "\(error)") }
            } catch {
                add(.unreadableImage, resolved, nil, "\(error)")
            }
        }
        guard let labelPath = DarknetDataset.labelPath(forImage: resolved) else {
            add(.missingLabelFile, resolved, nil, "no label file can be derived from this image name (supported: .jpg .jpeg .png .bmp .ppm .tiff)")
            return (issues, 0, true)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: labelPath, isDirectory: &isDirectory) && isDirectory.boolValue {
            add(.malformedLabel, labelPath, nil, "is a directory, expected the label file of \(path)")
            return (issues, 0, false)
        }
        guard let text = FileManager.default.contents(atPath: labelPath).map({ String(decoding: $0, as: UTF8.self) }) else {
            add(.missingLabelFile, labelPath, nil, "no label file: \(path) is a background image")
            return (issues, 0, true)
        }
        var objects = 0
        var seen: [String: Int] = [:]
        for (n, raw) in textLines(text).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let number = n + 1
            if let first = seen[line] {
                add(.duplicateLine, labelPath, number, "repeats line \(first): '\(line)'")
                continue
            }
            seen[line] = number
            let boxes: [LabelBox]
            do { boxes = try YOLOLabelFile.parse(line, path: labelPath) } catch let SwiftnetError.data(_, _, message) {
                add(.malformedLabel, labelPath, number, message)
                continue
            } catch {
                add(.malformedLabel, labelPath, number, "\(error)")
                continue
            }
            guard let box = boxes.first else { continue }
            if box.classID >= classes {
                add(.classOutOfRange, labelPath, number, "class \(box.classID) is out of range 0..<\(classes)")
                continue
            }
            if box.w <= 0 || box.h <= 0 {
                add(.zeroSizeBox, labelPath, number, box.w < 0 || box.h < 0 ? "box has a negative size (w=\(box.w), h=\(box.h))" : "box has zero size (w=\(box.w), h=\(box.h))")
                continue
            }
            if !(box.x > 0 && box.x < 1 && box.y > 0 && box.y < 1) || box.w > 1 || box.h > 1 {
                add(.boxOutOfRange, labelPath, number, "box \(box.x) \(box.y) \(box.w) \(box.h) is outside [0, 1] (centre in (0, 1), size ≤ 1 expected)")
                continue
            }
            let slack: Float = 0.005
            if box.x - box.w / 2 < -slack || box.x + box.w / 2 > 1 + slack || box.y - box.h / 2 < -slack || box.y + box.h / 2 > 1 + slack {
                add(.boxExtendsOutside, labelPath, number, "box extends past the image border (it will be clipped)")
            }
            objects += 1
        }
        if objects == 0 && issues.allSatisfy({ !$0.isError }) {
            add(.emptyLabelFile, labelPath, nil, "empty label file: \(path) is a background image")
            return (issues, 0, true)
        }
        return (issues, objects, false)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
