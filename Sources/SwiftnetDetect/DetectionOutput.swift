import Foundation
import SwiftnetCore
import SwiftnetFormat
import SwiftnetLayers

/// darknet's text and JSON renderings of detections (spec §4.6).
public enum DetectionOutput {
    /// Console lines as `draw_detections_v3` prints them: detections whose best class passes `threshold`, sorted by
    /// left edge; best class first, then the other classes above the threshold. With `extended`, box coordinates in
    /// pixels follow each label.
    public static func consoleLines(_ detections: [Detection], names: [String], threshold: Float, imageWidth: Int,
                                    imageHeight: Int, extended: Bool) -> [String] {
        var selected: [(detection: Detection, best: Int)] = []
        for d in detections {
            var best = -1
            var bestProbability = threshold
            for (k, p) in d.probabilities.enumerated() where p > bestProbability && !names[k].hasPrefix("dont_show") {
                best = k
                bestProbability = p
            }
            if best >= 0 { selected.append((d, best)) }
        }
        let order = selected.indices.sorted {
            let a = selected[$0].detection.box, b = selected[$1].detection.box
            let la = a.x - a.w / 2, lb = b.x - b.w / 2
            return la != lb ? la < lb : $0 < $1
        }
        var lines: [String] = []
        for index in order {
            let (d, best) = selected[index]
            let suffix = extended ? coordinates(d.box, imageWidth, imageHeight) : ""
            lines.append(label(names[best], d.probabilities[best]) + suffix)
            for (k, p) in d.probabilities.enumerated() where p > threshold && k != best && !names[k].hasPrefix("dont_show") {
                lines.append(label(names[k], p) + suffix)
            }
        }
        return lines
    }

    static func label(_ name: String, _ p: Float) -> String {
        String(format: "%@: %.0f%%", name, Double(p * 100))
    }

    static func coordinates(_ b: Box, _ w: Int, _ h: Int) -> String {
        String(format: "\t(left_x: %4.0f   top_y: %4.0f   width: %4.0f   height: %4.0f)",
               Double((b.x - b.w / 2) * Float(w)).rounded(), Double((b.y - b.h / 2) * Float(h)).rounded(),
               Double(b.w * Float(w)).rounded(), Double(b.h * Float(h)).rounded())
    }

    /// The objects of darknet's `-out` JSON (`detection_to_json`), in its order: every class probability above 0.005
    /// of every detection (probabilities under the detection threshold are already 0), `dont_show` names skipped.
    public static func objects(_ detections: [Detection], names: [String]) -> [(classID: Int, box: Box, confidence: Float)] {
        var objects: [(classID: Int, box: Box, confidence: Float)] = []
        for d in detections {
            for (k, p) in d.probabilities.enumerated() where p > 0.005 && !names[k].hasPrefix("dont_show") {
                objects.append((k, d.box, p))
            }
        }
        return objects
    }

    /// One image's object in darknet's `-out` JSON (`detection_to_json`).
    public static func jsonImage(_ detections: [Detection], names: [String], frameID: Int, filename: String) -> String {
        let objects = Self.objects(detections, names: names).map { o in
            String(format: "  {\"class_id\":%d, \"name\":\"%@\", \"relative_coordinates\":{\"center_x\":%f, \"center_y\":%f, \"width\":%f, \"height\":%f}, \"confidence\":%f}",
                   o.classID, jsonEscaped(names[o.classID]), Double(o.box.x), Double(o.box.y), Double(o.box.w), Double(o.box.h), Double(o.confidence))
        }
        return "{\n \"frame_id\":\(frameID), \n \"filename\":\"\(jsonEscaped(filename))\", \n \"objects\": [ \n"
            + objects.joined(separator: ", \n") + "\n ] \n}"
    }

    /// The whole `-out` file: `[\n`, image objects separated by `, \n`, `\n]`.
    public static func jsonFile(_ images: [String]) -> String {
        "[\n" + images.joined(separator: ", \n") + "\n]\n"
    }
}
