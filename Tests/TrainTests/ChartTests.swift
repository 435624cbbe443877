import SwiftnetData
import SwiftnetFormat
import SwiftnetTrain
import XCTest

/// The loss axis of chart.png fits the losses unless the cfg fixes it (max_chart_loss).
final class ChartTests: XCTestCase {
    func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
        Array(image.pixels[(3 * (y * image.width + x))..<(3 * (y * image.width + x) + 3)])
    }

    func testLossAxisFitsTheLosses() {
        var chart = TrainingChart(maxIterations: 10, maxLoss: nil)
        XCTAssertEqual(chart.maxLoss, 20, "before any loss")
        for i in 1...10 { chart.add(iteration: i, averageLoss: Float(50 - 2 * i)) }
        XCTAssertEqual(chart.maxLoss, 50, "a round number at or above the largest loss (48)")
        let image = chart.render(footer: "")
        // Iteration 5 (loss 40): x = 60 + 0.5·880 = 500, y = 940 − 0.8·880 = 236, drawn as a blue dot.
        XCTAssertEqual(pixel(image, 500, 236), [0, 0, 255])
        var small = TrainingChart(maxIterations: 10, maxLoss: nil)
        small.add(iteration: 1, averageLoss: 1.3)
        XCTAssertEqual(small.maxLoss, 2)
        small.add(iteration: 2, averageLoss: 130)
        XCTAssertEqual(small.maxLoss, 200)
    }

    func testFixedAxisFromTheCfg() {
        var chart = TrainingChart(maxIterations: 10, maxLoss: 20)
        for i in 1...10 { chart.add(iteration: i, averageLoss: 50) }
        XCTAssertEqual(chart.maxLoss, 20)
        // Losses above the axis are drawn at its top (y = 60).
        XCTAssertEqual(pixel(chart.render(footer: ""), 500, 60), [0, 0, 255])
    }
}

/// Training keeps a pass within memory: subdivisions rise (same batch) until it fits, and a size that cannot fit
/// even one image per pass is an error naming it.
final class TrainingMemoryTests: XCTestCase {
    let cfg = "[net]\nbatch=16\nsubdivisions=2\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nfilters=16\nsize=3\npad=1\nbatch_normalize=1\nactivation=leaky\n[convolutional]\nfilters=16\nsize=3\npad=1\nactivation=leaky\n"

    func testSubdivisionsRiseUntilAPassFits() throws {
        let config = try NetworkConfig(text: cfg, path: "m.cfg")
        let roomy = try TrainingMemory.plan(config: config, width: 64, height: 64, budget: 1 << 34)
        XCTAssertEqual(roomy.subdivisions, 2, "fits as the cfg says")
        // Per image: input 3·64² + conv1 (output, delta, pre-activation, normalised) 4·16·64² + conv2 3·16·64².
        let perImage = 3 * 4096 + 4 * 16 * 4096 + 3 * 16 * 4096
        let eight = Double(roomy.originalBytes)
        XCTAssertGreaterThan(eight, Double(4 * 8 * perImage), "8 images per pass at least")
        // A budget between what 2 and 4 images per pass need: 16/8 = 2 images per pass.
        let budget = Int(eight) - 4 * 5 * perImage
        let tight = try TrainingMemory.plan(config: config, width: 64, height: 64, budget: budget)
        XCTAssertEqual(tight.subdivisions, 8)
        XCTAssertThrowsError(try TrainingMemory.plan(config: config, width: 64, height: 64, budget: 1000)) { error in
            XCTAssertTrue("\(error)".contains("training at 64×64 needs"), "\(error)")
            XCTAssertTrue("\(error)".contains("even with one image per pass"), "\(error)")
        }
    }
}
