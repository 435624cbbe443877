import SwiftnetCore
import SwiftnetFormat
import SwiftnetLayers
import XCTest

/// `subdivisions`: an iteration of B images run as S mini-batches of B/S accumulates the same parameter updates as
/// one pass over all B images (without batch-norm, whose statistics are per mini-batch by design).
final class SubdivisionTests: XCTestCase {
    static let cfg = """
    [net]
    width=16
    height=16
    channels=3

    [convolutional]
    filters=8
    size=3
    stride=2
    pad=1
    activation=mish

    [convolutional]
    filters=8
    size=3
    stride=1
    pad=1
    activation=leaky

    [convolutional]
    filters=14
    size=1
    activation=linear

    [yolo]
    mask=0,1
    anchors=3,4, 8,8
    classes=2
    num=2
    iou_loss=ciou
    iou_normalizer=0.07
    label_smooth_eps=0.1
    """

    func testAccumulatedMiniBatchesEqualOneBatch() throws {
        let config = try NetworkConfig(text: Self.cfg, path: "s.cfg")
        let whole = try Network(config: config, batch: 4)
        let half = try Network(config: config, batch: 2)
        try whole.prepareForTraining()
        try half.prepareForTraining()
        var rng = SeededRandom(seed: 9)
        for (a, b) in zip(whole.layers.flatMap(\.trainables), half.layers.flatMap(\.trainables)) {
            for i in 0..<a.value.count {
                let v = rng.uniform(-0.3, 0.3)
                a.value[i] = v
                b.value[i] = v
            }
        }
        let imageSize = 3 * 16 * 16
        let input = (0..<(4 * imageSize)).map { _ in rng.uniform(0, 1) }
        let boxes: [[LabelBox]] = [
            [LabelBox(classID: 0, x: 0.3, y: 0.4, w: 0.2, h: 0.3)],
            [LabelBox(classID: 1, x: 0.7, y: 0.6, w: 0.5, h: 0.4), LabelBox(classID: 0, x: 0.2, y: 0.8, w: 0.1, h: 0.1)],
            [],
            [LabelBox(classID: 1, x: 0.5, y: 0.5, w: 0.9, h: 0.8)],
        ]
        whole.input.set(input)
        whole.forwardTraining(truth: TrainingTruth(boxes: boxes))
        whole.backward()
        for s in 0..<2 {
            half.input.set(Array(input[(s * 2 * imageSize)..<((s + 1) * 2 * imageSize)]))
            half.forwardTraining(truth: TrainingTruth(boxes: Array(boxes[(2 * s)..<(2 * s + 2)])))
            half.backward()
        }
        var compared = 0
        for (a, b) in zip(whole.layers.flatMap(\.trainables), half.layers.flatMap(\.trainables)) {
            let scale = max(1e-3, (0..<a.update.count).map { abs(a.update[$0]) }.max() ?? 0)
            for i in 0..<a.update.count {
                XCTAssertEqual(a.update[i], b.update[i], accuracy: 1e-5 * scale, "\(a.name)[\(i)]")
                if a.update[i] != 0 { compared += 1 }
            }
        }
        XCTAssertGreaterThan(compared, 500, "the updates must not be all zero")
    }
}

extension Buffer {
    fileprivate func set(_ values: [Float]) {
        for (i, v) in values.enumerated() { self[i] = v }
    }
}
