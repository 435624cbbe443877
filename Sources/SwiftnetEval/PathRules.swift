import Foundation

/// darknet's path conventions: label file location and image ids from file names.
public enum PathRules {
    /// darknet's `replace_image_to_label` (AlexeyAB `utils.c`): the label file for an image path,
    /// or nil when the path does not end in a supported image extension (darknet then prints
    /// "Failed to infer label file name").
    ///
    /// The first occurrence of each COCO/VOC image directory is replaced by its `labels`
    /// counterpart (no generic `images/` rule), leading/trailing spaces and tabs are trimmed, and a
    /// trailing `.jpg .JPG .jpeg .JPEG .png .PNG .bmp .BMP .ppm .PPM .tiff .TIFF` becomes `.txt`.
    public static func labelPath(forImage imagePath: String) -> String? {
        var path = imagePath
        for (from, to) in directoryRules {
            if let r = path.range(of: from) { path.replaceSubrange(r, with: to) }
        }
        path = trimSpacesAndTabs(path)
        for ext in imageExtensions where path.hasSuffix(ext) {
            return String(path.dropLast(ext.count)) + ".txt"
        }
        return nil
    }

    /// The last path component (after `/` or `\`).
    public static func fileName(_ path: String) -> String {
        guard let cut = path.lastIndex(where: { $0 == "/" || $0 == "\\" }) else { return path }
        return String(path[path.index(after: cut)...])
    }

    /// The file name without its extension, as an integer if it is all decimal digits
    /// (darknet `detector valid` derives COCO image ids this way).
    public static func numericStem(_ path: String) -> Int? {
        var stem = Substring(fileName(path))
        if let dot = stem.lastIndex(of: ".") { stem = stem[..<dot] }
        guard !stem.isEmpty, stem.count <= 18, stem.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(stem)
    }

    private static let directoryRules: [(String, String)] = [
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

    private static func trimSpacesAndTabs(_ s: String) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = s.firstIndex(where: { !isBlank($0) }),
              let last = s.lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(s[first...last])
    }
}
