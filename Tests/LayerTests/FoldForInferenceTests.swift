import Foundation
import SwiftnetCore
import SwiftnetFormat
@testable import SwiftnetLayers
import TestSupport
import XCTest

/// Batch-norm folded in place at load (darknet's `fuse_conv_batchnorm`): the same outputs as the folded copy, no
/// second copy of the weights, saving refused until weights are loaded again.
final class FoldForInferenceTests: XCTestCase {
    func testFoldingInPlaceGivesTheFoldedCopysOutputsAndRefusesSaving() throws {
        let cfg = try SharedData.path("models/yolov4-tiny-10c/yolov4-tiny-10c.cfg")
        let weights = try SharedData.path("models/yolov4-tiny-10c/yolov4-tiny-final.weights")
        let config = try NetworkConfig(contentsOf: cfg)
        let copy = try Network(config: config, batch: 1, width: 416, height: 416)
        let inPlace = try Network(config: config, batch: 1, width: 416, height: 416)
        for network in [copy, inPlace] { _ = try network.loadWeights(path: weights) }
        let raw = inPlace.layers.compactMap { ($0 as? ConvolutionalLayer)?.weights.array }
        copy.prepareForInference()
        inPlace.foldForInference()
        XCTAssertTrue(inPlace.batchNormFolded)
        XCTAssertFalse(copy.batchNormFolded)
        // The weights themselves now hold the fold: scaled by γ/σ, so different from the file's values.
        let folded = inPlace.layers.compactMap { ($0 as? ConvolutionalLayer)?.weights.array }
        XCTAssertNotEqual(folded[0], raw[0])

        var generator = SeededRandom(seed: 11)
        let input = (0..<copy.input.count).map { _ in generator.nextFloat() }
        var heads: [[Float]] = []
        for network in [copy, inPlace] {
            input.withUnsafeBufferPointer { network.input.pointer.update(from: $0.baseAddress!, count: input.count) }
            network.forward()
            heads.append(network.layers.filter { $0 is DetectionLayer }.flatMap { $0.output.array })
        }
        XCTAssertEqual(heads[0], heads[1])

        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        XCTAssertThrowsError(try inPlace.saveWeights(path: directory + "/folded.weights")) { error in
            XCTAssertTrue("\(error)".contains("folded"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/folded.weights"))
        // Loading again gives back the file's values (and saving works again).
        _ = try inPlace.loadWeights(path: weights)
        XCTAssertFalse(inPlace.batchNormFolded)
        XCTAssertEqual(inPlace.layers.compactMap { ($0 as? ConvolutionalLayer)?.weights.array }, raw)
        XCTAssertNoThrow(try inPlace.saveWeights(path: directory + "/again.weights"))
    }
}
