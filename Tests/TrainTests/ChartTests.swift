import SwiftnetData
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
