import Foundation
import SwiftnetCore

extension DetectionSet {
    /// Loads a COCO results file: `[{"image_id", "category_id", "bbox": [x, y, w, h], "score"}, ...]`
    /// (other keys are ignored).
    ///
    /// Entries keep file order within each image. Entries for images or categories that the
    /// ground truth does not declare are skipped and reported (pycocotools would assert or
    /// ignore them). For the darknet protocol each entry becomes one record whose float32
    /// probability is the score and whose normalized box is the pixel box divided by the image
    /// size. An empty list gives an empty set.
    ///
    /// - Throws: ``EvalError/invalidJSON(path:line:column:reason:)`` naming the line of the first
    ///   malformed value, ``EvalError/unreadableFile(path:reason:)``.
    public static func loadCOCOResults(path: String, groundTruth: GroundTruth) throws -> DetectionSet {
        try JSONReader.withFile(path) { try parseCOCOResults(&$0, groundTruth) }
    }

    /// Parses a COCO results document held in memory; `name` is used in error messages.
    public static func parseCOCOResults(data: Data, name: String, groundTruth: GroundTruth) throws -> DetectionSet {
        try JSONReader.withData(data, name: name) { try parseCOCOResults(&$0, groundTruth) }
    }

    private static func parseCOCOResults(_ r: inout JSONReader, _ gt: GroundTruth) throws -> DetectionSet {
        var set = DetectionSet(for: gt)
        try r.beginArray("a list of COCO results")
        var first = true
        var entry = 0
        while try r.nextArrayElement(&first) {
            let start = r.position
            var imageId: Int?, categoryId: Int?, bbox: PixelBox?, score: Double?
            try r.beginObject("a result object")
            var firstKey = true
            while let key = try r.nextKey(&firstKey) {
                if r.key(key, is: "image_id") {
                    imageId = try r.readInt("an image id")
                } else if r.key(key, is: "category_id") {
                    categoryId = try r.readInt("a category id")
                } else if r.key(key, is: "bbox") {
                    bbox = try GroundTruth.readBox(&r)
                } else if r.key(key, is: "score") {
                    score = try r.readDouble("a score")
                } else {
                    try r.skipValue()
                }
            }
            guard let imageId, let categoryId, let bbox, let score else {
                let missing = [("image_id", imageId == nil), ("category_id", categoryId == nil),
                               ("bbox", bbox == nil), ("score", score == nil)].filter { $0.1 }.map { $0.0 }
                throw r.error("result #\(entry) has no '\(missing.joined(separator: "', '"))'", at: start)
            }
            entry += 1
            set.diagnostics.read += 1
            guard let k = gt.imageIndex(forImageId: imageId) else {
                set.diagnostics.unknownImage.add("image_id \(imageId)")
                continue
            }
            guard let c = gt.classIndex(forCategoryId: categoryId) else {
                set.diagnostics.unknownClass.add("category_id \(categoryId) (image_id \(imageId))")
                continue
            }
            guard score.isFinite else {
                set.diagnostics.invalidValue.add("score \(score) (image_id \(imageId))")
                continue
            }
            let relative = gt.images[k].size.map { DetectionSet.relativeBox(bbox, $0) }
            set.perImage[k].append(DetectionRecord(classIndex: c, probability: Float(score), score: score,
                                                   relative: relative, pixel: bbox))
            set.diagnostics.accepted += 1
        }
        try r.expectEnd()
        return set
    }

    /// A detection's normalized box: each coordinate computed in double, then rounded to float32.
    static func relativeBox(_ b: PixelBox, _ size: ImageSize) -> Box {
        let W = Double(size.width), H = Double(size.height)
        return Box(x: Float((b.x + b.width / 2) / W), y: Float((b.y + b.height / 2) / H),
                           w: Float(b.width / W), h: Float(b.height / H))
    }
}
