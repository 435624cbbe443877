import Foundation

/// darknet's path conventions for evaluation: image ids from file names (label files: `DarknetDataset.labelPath`).
public enum PathRules {
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
}
