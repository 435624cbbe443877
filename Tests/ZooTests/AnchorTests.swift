import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetEval
import SwiftnetFormat
import SwiftnetLayers
import SwiftnetZoo
import TestSupport
import XCTest

final class AnchorTests: XCTestCase {
    func testCornerAlignedIoU() {
        XCTAssertEqual(AnchorClustering.iou(Anchor(10, 10), Anchor(10, 10)), 1)
        XCTAssertEqual(AnchorClustering.iou(Anchor(10, 10), Anchor(5, 10)), 0.5)
        XCTAssertEqual(AnchorClustering.iou(Anchor(4, 1), Anchor(1, 4)), 1.0 / 7.0, accuracy: 1e-12)
    }

    func testKMeansFindsSeparatedClustersAndIsSeeded() throws {
        var boxes: [Anchor] = []
        for centre in [Anchor(10, 12), Anchor(40, 30), Anchor(100, 150)] {
            for d in [-1.0, 0, 1] { boxes.append(Anchor(centre.width + d, centre.height - d)) }
        }
        var a = SeededRandom(seed: 3), b = SeededRandom(seed: 3)
        let first = try AnchorClustering.kMeans(boxes: boxes, count: 3, restarts: 4, using: &a)
        let second = try AnchorClustering.kMeans(boxes: boxes, count: 3, restarts: 4, using: &b)
        XCTAssertEqual(first.anchors, second.anchors)
        XCTAssertTrue(first.converged)
        for (anchor, expected) in zip(first.anchors, [Anchor(10, 12), Anchor(40, 30), Anchor(100, 150)]) {
            XCTAssertEqual(anchor.width, expected.width, accuracy: 1e-9)
            XCTAssertEqual(anchor.height, expected.height, accuracy: 1e-9)
        }
        XCTAssertEqual(Anchor.cfgText(first.anchors), "10,12, 40,30, 100,150")
        XCTAssertEqual(AnchorClustering.darknetText(first.anchors, fractional: false), " 10, 12,  40, 30, 100,150")
    }

    func testKMeansNeedsEnoughDistinctSizes() {
        var generator = SeededRandom(seed: 1)
        XCTAssertThrowsError(try AnchorClustering.kMeans(boxes: [Anchor(5, 5), Anchor(5, 5), Anchor(6, 6)], count: 3,
                                                         using: &generator))
    }

    func testMasksGiveTheLargestAnchorsToTheCoarsestHead() throws {
        XCTAssertEqual(try CfgAnchorEditor.masks(anchorCount: 9, headGridCells: [76 * 76, 38 * 38, 19 * 19]),
                       [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
        // yolov4-tiny lists the coarse head first.
        XCTAssertEqual(try CfgAnchorEditor.masks(anchorCount: 6, headGridCells: [13 * 13, 26 * 26]), [[3, 4, 5], [0, 1, 2]])
        XCTAssertEqual(try CfgAnchorEditor.masks(anchorCount: 7, headGridCells: [100, 25]), [[0, 1, 2], [3, 4, 5, 6]])
        XCTAssertEqual(try CfgAnchorEditor.masks(anchorCount: 4, headGridCells: [64, 16, 4]), [[0], [1], [2, 3]])
        XCTAssertThrowsError(try CfgAnchorEditor.masks(anchorCount: 1, headGridCells: [4, 1]))
    }

    func testRewriteKeepsEverythingElse() throws {
        let text = """
        [net]
        width=64
        height=64
        channels=3

        # a comment that stays
        [convolutional]
        filters = 21
        size=1
        activation=linear

        [yolo]
        mask = 0, 1, 2
        anchors = 1,1, 2,2, 3,3
        classes=2
        num=3
        jitter=.3

        [route]
        layers=-2

        [convolutional]
        filters=21
        size=1
        activation=linear

        [yolo]
        classes=2
        ignore_thresh=.7
        """
        let anchors = [Anchor(5, 6), Anchor(10, 12), Anchor(20, 20), Anchor(40, 30)]
        let out = try CfgAnchorEditor.rewrite(text, path: "t.cfg", anchors: anchors, masks: [[2, 3], [0, 1]])
        let expected = """
        [net]
        width=64
        height=64
        channels=3

        # a comment that stays
        [convolutional]
        filters = 14
        size=1
        activation=linear

        [yolo]
        mask = 2,3
        anchors = 5,6, 10,12, 20,20, 40,30
        classes=2
        num=4
        jitter=.3

        [route]
        layers=-2

        [convolutional]
        filters=14
        size=1
        activation=linear

        [yolo]
        mask=0,1
        anchors=5,6, 10,12, 20,20, 40,30
        num=4
        classes=2
        ignore_thresh=.7
        """
        XCTAssertEqual(out, expected)
        XCTAssertNoThrow(try Network(config: NetworkConfig(text: out, path: "t.cfg"), allocate: false))
    }

    func testRewriteNeedsAConvolutionBeforeEachHead() {
        let text = "[net]\nwidth=32\nheight=32\nchannels=3\n[maxpool]\nsize=2\n[yolo]\nclasses=1\n"
        XCTAssertThrowsError(try CfgAnchorEditor.rewrite(text, path: "t.cfg", anchors: [Anchor(1, 1)], masks: [[0]]))
    }

    /// On a generated shapes dataset, fitted anchors score at least as well as the shipped ones, and writing them
    /// into a copy of cfg/shapes.cfg gives a cfg that loads and scores at least as well too.
    func testShapesAnchorsAndWrite() throws {
        let dir = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let summary = try ShapesDataset.generate(outputDirectory: dir + "/shapes", count: 200, seed: 1)
        let cfgPath = dir + "/shapes.cfg"
        try FileManager.default.copyItem(atPath: SharedData.projectRoot.appendingPathComponent("cfg/shapes.cfg").path, toPath: cfgPath)
        let original = try NetworkConfig(contentsOf: cfgPath)
        let network = try Network(config: original, allocate: false)

        let sizes = try LabelSizes(dataPath: summary.dataFile, width: network.width, height: network.height)
        XCTAssertEqual(sizes.images, summary.trainCount)
        XCTAssertEqual(sizes.imagesWithoutLabels, 0)
        XCTAssertGreaterThan(sizes.boxes.count, summary.trainCount)

        let heads = network.layers.filter { $0.typeName == "yolo" }
        guard case .yolo(let yolo) = heads[0].spec.config else { return XCTFail("no yolo layer") }
        let shipped = Anchor.pairs(yolo.anchors)
        let shippedIoU = AnchorClustering.averageIoU(boxes: sizes.boxes, anchors: shipped)

        var generator = SeededRandom(seed: 1)
        let result = try AnchorClustering.kMeans(boxes: sizes.boxes, count: shipped.count, restarts: 10, using: &generator)
        XCTAssertGreaterThanOrEqual(result.averageIoU, shippedIoU)

        let masks = try CfgAnchorEditor.masks(anchorCount: result.anchors.count,
                                              headGridCells: heads.map { $0.inputShape.w * $0.inputShape.h })
        XCTAssertEqual(masks, [[3, 4, 5], [0, 1, 2]])
        let rewritten = try CfgAnchorEditor.rewrite(try readTextFile(cfgPath), path: cfgPath, anchors: result.anchors, masks: masks)
        try AtomicFile.write(rewritten, to: cfgPath)
        let reloaded = try Network(config: NetworkConfig(contentsOf: cfgPath), allocate: false)
        XCTAssertEqual(reloaded.weightsByteCount, network.weightsByteCount)
        guard case .yolo(let fitted) = reloaded.layers.first(where: { $0.typeName == "yolo" })!.spec.config else { return XCTFail() }
        let written = Anchor.pairs(fitted.anchors)
        XCTAssertGreaterThanOrEqual(AnchorClustering.averageIoU(boxes: sizes.boxes, anchors: written), shippedIoU)
        // Only the two anchors= lines changed (the masks and filters were already the split and the count).
        let before = textLines(try readTextFile(SharedData.projectRoot.appendingPathComponent("cfg/shapes.cfg").path))
        let after = textLines(rewritten)
        XCTAssertEqual(before.count, after.count)
        XCTAssertEqual(zip(before, after).filter { $0 != $1 }.map(\.1.first), ["a", "a"])
    }
}
