import Foundation
import SwiftnetFormat

/// The label box sizes of a detection dataset's training images, in network-input pixels: what
/// ``AnchorClustering`` clusters.
public struct LabelSizes: Sendable {
    /// One entry per usable label: `(w · width, h · height)`.
    public var boxes: [Anchor] = []
    /// Images in the training list.
    public var images = 0
    /// Images without a label file (background images, or a path without an image extension).
    public var imagesWithoutLabels = 0
    /// Labels skipped because their width or height is not positive.
    public var skippedLabels = 0
    /// Labels with a width or height above 1 (darknet reports them as bad but uses them; so does this).
    public var oversizedLabels = 0
    /// Labels narrower or lower than one pixel at the network size (used, but anchors fitted to them are ~0).
    public var subpixelLabels = 0
    /// Labels per class id.
    public var perClass: [Int] = []

    /// No boxes.
    public init() {}

    /// Reads the `train=` list of a `.data` file and the YOLO label file of every image on it
    /// (``DarknetDataset``'s rules: paths relative to the working directory, darknet's label path).
    public init(dataPath: String, width: Int, height: Int) throws {
        let dataset = try DarknetDataset(contentsOf: dataPath)
        guard let list = try dataset.imageList("train", what: "the list of training images") else {
            throw SwiftnetError.data(path: dataPath, line: nil, message: "no train= entry (the list of training images)")
        }
        let paths = list.paths
        guard !paths.isEmpty else { throw SwiftnetError.data(path: list.path, line: nil, message: "the training list is empty") }

        images = paths.count
        for path in paths {
            guard let labels = try DarknetDataset.labelPath(forImage: path).flatMap({ try YOLOLabelFile.read(path: $0) }) else {
                imagesWithoutLabels += 1
                continue
            }
            for label in labels {
                guard label.w > 0, label.h > 0 else {
                    skippedLabels += 1
                    continue
                }
                if label.w > 1 || label.h > 1 { oversizedLabels += 1 }
                if Double(label.w) * Double(width) < 1 || Double(label.h) * Double(height) < 1 { subpixelLabels += 1 }
                if perClass.count <= label.classID { perClass += [Int](repeating: 0, count: label.classID + 1 - perClass.count) }
                perClass[label.classID] += 1
                boxes.append(Anchor(Double(label.w) * Double(width), Double(label.h) * Double(height)))
            }
        }
    }
}
