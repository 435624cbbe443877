import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetFormat
import SwiftnetLayers

/// `swiftnet augment`: training samples exactly as the trainer's loader produces them, written to disk so that a
/// pipeline (mosaic, CutMix, jitter, letterbox, …) can be checked by eye.
public enum AugmentPreview {
    /// Writes `count` samples to `directory`: `NNNN.png` (the network input), `NNNN.txt` (YOLO labels after
    /// augmentation, or a classifier's soft target vector) and, with `draw`, `NNNN_boxes.png` with the boxes drawn.
    public static func write(cfgPath: String, overrides: [CfgOverride], dataPath: String, count: Int, directory: String,
                             draw: Bool, seed: UInt64, width: Int? = nil, height: Int? = nil) throws {
        let config = try NetworkConfig(contentsOf: cfgPath, overrides: overrides)
        let network = try Network(config: config, batch: 1, width: width, height: height, allocate: false)
        let yolo = network.layers.last { $0 is YoloLayer } as? YoloLayer
        let classes = yolo?.config.classes ?? network.outputLayer.outputShape.count
        let dataset = try TrainingDataset(dataPath: dataPath, networkClasses: classes, cfgPath: cfgPath, classifier: yolo == nil)
        let loader: BatchLoader
        if let yolo {
            var params = AugmentParameters(net: config.net, lastYolo: yolo.config)
            params.width = network.width
            params.height = network.height
            try SwiftnetError.attributing(toCfg: cfgPath, line: config.net.line) { try params.validate() }
            loader = DetectionLoader(dataset: dataset, params: params, imagesPerBatch: count, seed: seed)
        } else {
            try SwiftnetError.attributing(toCfg: cfgPath, line: config.net.line) {
                try ClassifierAugmentParameters(net: config.net, classes: classes).validate()
            }
            loader = ClassificationLoader(dataset: dataset, net: config.net, width: network.width, height: network.height,
                                          imagesPerBatch: count, seed: seed)
        }
        try ensureDirectory(directory)
        let batch = try loader.next()
        let size = 3 * batch.width * batch.height
        for k in 0..<count {
            let image = Image(width: batch.width, height: batch.height, channels: 3, data: Array(batch.input[(k * size)..<((k + 1) * size)]))
            let stem = directory + "/" + String(format: "%04d", k)
            var rgb = image.toRGB8()
            try ImageIO.write(rgb, to: stem + ".png")
            if batch.targets.isEmpty {
                let labels = batch.truths[k]
                try AtomicFile.write(labels.map { String(format: "%d %.6f %.6f %.6f %.6f\n", $0.classID, $0.x, $0.y, $0.w, $0.h) }.joined(), to: stem + ".txt")
                if draw {
                    for box in labels {
                        let w = Float(batch.width), h = Float(batch.height)
                        rgb.drawLabeledBox(x0: Int(((box.x - box.w / 2) * w).rounded()), y0: Int(((box.y - box.h / 2) * h).rounded()),
                                           x1: Int(((box.x + box.w / 2) * w).rounded()) - 1, y1: Int(((box.y + box.h / 2) * h).rounded()) - 1,
                                           label: dataset.names[box.classID], color: .forClass(box.classID))
                    }
                    try ImageIO.write(rgb, to: stem + "_boxes.png")
                }
            } else {
                let t = batch.targets[(k * classes)..<((k + 1) * classes)]
                try AtomicFile.write(t.map { String(format: "%.6f", $0) }.joined(separator: " ") + "\n", to: stem + ".txt")
                if draw {
                    let best = t.indices.max { t[$0] < t[$1] }! - k * classes
                    rgb.drawText(dataset.names[best], x: 2, y: 2, scale: 1, color: .white)
                    try ImageIO.write(rgb, to: stem + "_boxes.png")
                }
            }
        }
    }
}
