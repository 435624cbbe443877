import Foundation

/// One image of a darknet image list: the path as written (spaces and tabs around it removed) and its line.
public struct ImageListEntry: Sendable, Equatable {
    public var path: String
    public var line: Int

    public init(path: String, line: Int) {
        self.path = path
        self.line = line
    }
}

/// A darknet image list (`train.txt`, `valid.txt`, a `detect` list): one image path per line, blank lines
/// skipped. Relative paths are relative to the working directory, as darknet opens them.
public struct ImageList: Sendable {
    public var path: String
    public var entries: [ImageListEntry]

    public var paths: [String] { entries.map(\.path) }

    /// Reads a list file.
    public init(contentsOf path: String) throws {
        self.path = path
        entries = textLines(try readTextFile(path)).enumerated().compactMap { number, line in
            let trimmed = line.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            return trimmed.isEmpty ? nil : ImageListEntry(path: trimmed, line: number + 1)
        }
    }

    /// A list made in code (`path` names it in messages).
    public init(path: String, entries: [ImageListEntry]) {
        self.path = path
        self.entries = entries
    }

    /// The first listed image that does not exist, as an error naming the list, its line, how many are missing and
    /// where the image would be if the list's paths were meant relative to its own folder; nil when all exist.
    public func missingImage() -> SwiftnetError? {
        let missing = entries.filter { !FileManager.default.fileExists(atPath: $0.path) }
        guard let first = missing.first else { return nil }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var message = "image \(first.path) does not exist" + DarknetDataset.relativeHint(first.path, folder: folder, what: "the list's folder")
        if missing.count > 1 { message += " (\(missing.count) of the \(entries.count) listed images are missing)" }
        return .data(path: path, line: first.line, message: message)
    }
}

/// A darknet dataset as its `.data` file describes it — image lists, class names, label files, backup folder —
/// with darknet's path rules in one place: every relative path is relative to the working directory, and an image's
/// label file is found by ``labelPath(forImage:)``.
public struct DarknetDataset: Sendable {
    public let file: DataFile

    public var path: String { file.path }

    public init(contentsOf path: String) throws {
        file = try DataFile(contentsOf: path)
    }

    /// `classes=`, checked to be a usable class count.
    public func classes() throws -> Int? { try file.classes() }

    /// The value of `key` as a path that must exist (a file, or a folder with `directory`); nil when the key is
    /// absent. A missing path is an error on the `.data` line, with what darknet's lexing did to it and where it would
    /// be relative to the `.data` file's folder.
    public func existingPath(_ key: String, what: String, directory: Bool = false) throws -> String? {
        guard let entry = file.entries[key] else { return nil }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: entry.value, isDirectory: &isDirectory) {
            guard isDirectory.boolValue == directory else {
                throw SwiftnetError.data(path: path, line: entry.line, message: "\(key)=\(entry.value): \(directory ? "is not a folder" : "is a folder, expected a file") (\(what))")
            }
            return entry.value
        }
        var message = "\(key)=\(entry.value): \(what) does not exist"
        if let raw = file.rawValues[key], raw != entry.value {
            message += " (darknet removes every space from .data lines, so '\(raw)' reads as '\(entry.value)'; rename the path without spaces)"
        }
        message += Self.relativeHint(entry.value, folder: URL(fileURLWithPath: path).deletingLastPathComponent().path, what: "the .data file's folder")
        throw SwiftnetError.data(path: path, line: entry.line, message: message)
    }

    /// The image list named by `key` (`train`, `valid`), or nil when the key is absent.
    public func imageList(_ key: String, what: String) throws -> ImageList? {
        guard let listPath = try existingPath(key, what: what) else { return nil }
        return try ImageList(contentsOf: listPath)
    }

    /// The class names of `names=` (detectors) or `labels=` then `names=` (classifiers), or nil when absent.
    public func classNames(classifier: Bool = false) throws -> [String]? {
        let key = classifier && file.entries["labels"] != nil ? "labels" : "names"
        guard let namesPath = try existingPath(key, what: "the class names file") else { return nil }
        return try NamesFile.read(namesPath)
    }

    /// `backup=` (created when needed by the trainer), `backup` when absent.
    public var backup: String { file.string("backup") ?? "backup" }

    /// darknet's `replace_image_to_label` (AlexeyAB `utils.c`): the label file of an image path, or nil when the
    /// path does not end in a supported image extension (darknet then prints "Failed to infer label file name").
    ///
    /// The first occurrence of each COCO/VOC image folder is replaced by its `labels` counterpart (there is no
    /// generic `images/` rule), spaces and tabs around the path are trimmed, and a trailing
    /// `.jpg .JPG .jpeg .JPEG .png .PNG .bmp .BMP .ppm .PPM .tiff .TIFF` becomes `.txt`.
    public static func labelPath(forImage imagePath: String) -> String? {
        var path = imagePath
        for (from, to) in labelFolderRules {
            if let r = path.range(of: from) { path.replaceSubrange(r, with: to) }
        }
        path = path.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
        for ext in imageExtensions where path.hasSuffix(ext) {
            return String(path.dropLast(ext.count)) + ".txt"
        }
        return nil
    }

    private static let labelFolderRules: [(String, String)] = [
        ("/images/train2017/", "/labels/train2017/"),
        ("/images/val2017/", "/labels/val2017/"),
        ("/JPEGImages/", "/labels/"),
        ("\\images\\train2017\\", "\\labels\\train2017\\"),
        ("\\images\\val2017\\", "\\labels\\val2017\\"),
        ("\\images\\train2014\\", "\\labels\\train2014\\"),
        ("\\images\\val2014\\", "\\labels\\val2014\\"),
        ("/images/train2014/", "/labels/train2014/"),
        ("/images/val2014/", "/labels/val2014/"),
        ("\\JPEGImages\\", "\\labels\\"),
    ]

    private static let imageExtensions = [
        ".jpg", ".JPG", ".jpeg", ".JPEG", ".png", ".PNG", ".bmp", ".BMP", ".ppm", ".PPM", ".tiff", ".TIFF",
    ]

    /// For a relative path that does not exist from the working directory but does from `folder`: a sentence saying
    /// so; otherwise empty.
    static func relativeHint(_ value: String, folder: String, what: String) -> String {
        guard !value.hasPrefix("/"), !folder.isEmpty else { return "" }
        let candidate = (folder == "/" ? "" : folder) + "/" + value
        guard FileManager.default.fileExists(atPath: candidate) else { return "" }
        return "; relative paths are read from the working directory, as darknet does, and \(candidate) exists relative to \(what): "
            + "run swiftnet from \(folder) or write the paths relative to the working directory (or absolute)"
    }
}
