import Foundation
import SwiftnetCore

extension DetectionSet {
    /// Loads a darknet `-out` JSON file (`detector test -out`, `network.c:detection_to_json`):
    /// a list of frames `{"frame_id", "filename", "objects": [{"class_id", "name",
    /// "relative_coordinates": {"center_x", "center_y", "width", "height"}, "confidence"}]}`.
    ///
    /// A frame is matched to a ground-truth image by ``GroundTruth/imageIndex(forPath:)``
    /// (exact list path, then file name, then numeric stem as image id); frames for unknown
    /// images and objects with an out-of-range `class_id` are skipped and reported. Objects keep
    /// file order, which is darknet's array order. The COCO box is derived like `detector valid`
    /// (corners clipped to the image) when the image size is known.
    ///
    /// - Throws: ``EvalError/invalidJSON(path:line:column:reason:)``, ``EvalError/unreadableFile(path:reason:)``.
    public static func loadDarknetJSON(path: String, groundTruth: GroundTruth) throws -> DetectionSet {
        try JSONReader.withFile(path) { try parseDarknetJSON(&$0, groundTruth) }
    }

    /// Parses a darknet `-out` document held in memory; `name` is used in error messages.
    public static func parseDarknetJSON(data: Data, name: String, groundTruth: GroundTruth) throws -> DetectionSet {
        try JSONReader.withData(data, name: name) { try parseDarknetJSON(&$0, groundTruth) }
    }

    private struct RawObject {
        var classId: Int
        var box: Box
        var confidence: Double
    }

    private static func parseDarknetJSON(_ r: inout JSONReader, _ gt: GroundTruth) throws -> DetectionSet {
        var set = DetectionSet(for: gt)
        try r.beginArray("a list of darknet frames")
        var first = true
        while try r.nextArrayElement(&first) {
            let start = r.position
            var filename: String?
            var objects: [RawObject] = []
            try r.beginObject("a frame object")
            var firstKey = true
            while let key = try r.nextKey(&firstKey) {
                if r.key(key, is: "filename") {
                    filename = try r.readString("a file name")
                } else if r.key(key, is: "objects") {
                    objects = try readObjects(&r)
                } else {
                    try r.skipValue()
                }
            }
            guard let filename else { throw r.error("frame without 'filename'", at: start) }
            set.diagnostics.read += objects.count
            guard let k = gt.imageIndex(forPath: filename) else {
                for _ in objects { set.diagnostics.unknownImage.add(filename) }
                continue
            }
            let size = gt.images[k].size
            for o in objects {
                guard o.classId >= 0, o.classId < gt.categories.count else {
                    set.diagnostics.unknownClass.add("class_id \(o.classId) (\(filename))")
                    continue
                }
                let pixel = size.map { PixelBox(relative: o.box, in: $0) }
                set.perImage[k].append(DetectionRecord(classIndex: o.classId, probability: Float(o.confidence),
                                                       score: o.confidence, relative: o.box, pixel: pixel))
                set.diagnostics.accepted += 1
            }
        }
        try r.expectEnd()
        return set
    }

    private static func readObjects(_ r: inout JSONReader) throws -> [RawObject] {
        var out: [RawObject] = []
        try r.beginArray("a list of objects")
        var first = true
        while try r.nextArrayElement(&first) {
            let start = r.position
            var classId: Int?, box: Box?, confidence: Double?
            try r.beginObject("a detection object")
            var firstKey = true
            while let key = try r.nextKey(&firstKey) {
                if r.key(key, is: "class_id") {
                    classId = try r.readInt("a class id")
                } else if r.key(key, is: "relative_coordinates") {
                    box = try readCoordinates(&r)
                } else if r.key(key, is: "confidence") {
                    let at = r.position
                    let c = try r.readDouble("a confidence")
                    guard c.isFinite else { throw r.error("confidence is not finite", at: at) }
                    confidence = c
                } else {
                    try r.skipValue()
                }
            }
            guard let classId, let box, let confidence else {
                throw r.error("object needs 'class_id', 'relative_coordinates' and 'confidence'", at: start)
            }
            out.append(RawObject(classId: classId, box: box, confidence: confidence))
        }
        return out
    }

    private static func readCoordinates(_ r: inout JSONReader) throws -> Box {
        let start = r.position
        var v: [Double?] = [nil, nil, nil, nil]
        try r.beginObject("relative_coordinates")
        var first = true
        while let key = try r.nextKey(&first) {
            let slot: Int? = r.key(key, is: "center_x") ? 0 : r.key(key, is: "center_y") ? 1
                : r.key(key, is: "width") ? 2 : r.key(key, is: "height") ? 3 : nil
            guard let slot else {
                try r.skipValue()
                continue
            }
            let at = r.position
            let x = try r.readDouble("a coordinate")
            guard x.isFinite else { throw r.error("coordinate is not finite", at: at) }
            v[slot] = x
        }
        guard let x = v[0], let y = v[1], let w = v[2], let h = v[3] else {
            throw r.error("relative_coordinates needs center_x, center_y, width and height", at: start)
        }
        return Box(x: Float(x), y: Float(y), w: Float(w), h: Float(h))
    }
}
