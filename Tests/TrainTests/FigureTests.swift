import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetTrain
import XCTest

/// The figures, written as PNG and read back: curves, axes and colours where the definitions put them.
final class FigureTests: XCTestCase {
    func temporaryPNG(_ image: RGBImage) throws -> RGBImage {
        let path = NSTemporaryDirectory() + "figure-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ImageIO.write(image, to: path)
        return try ImageIO.readRGB(path)
    }

    func color(_ image: RGBImage, _ x: Int, _ y: Int) -> Color {
        let i = 3 * (y * image.width + x)
        return Color(image.pixels[i], image.pixels[i + 1], image.pixels[i + 2])
    }

    /// Whether `want` is within one pixel of (x, y).
    func near(_ image: RGBImage, _ x: Int, _ y: Int, _ want: Color) -> Bool {
        for dy in -1...1 { for dx in -1...1 where color(image, x + dx, y + dy) == want { return true } }
        return false
    }

    func testActivationFigureHasTheCurvesWhereTheFunctionsAre() throws {
        let image = try temporaryPNG(Figures.activations())
        XCTAssertEqual(image.width, 1280)
        XCTAssertEqual(image.height, 480)
        let (f, df) = Figures.activationPlots()
        let red = Figures.activationSeries.first { $0.function == .activation(.mish) }!.color
        let blue = Figures.activationSeries.first { $0.function == .activation(.swish) }!.color
        func mish(_ x: Double) -> Double { x * tanh(log1p(exp(x))) }
        func mishDerivative(_ x: Double) -> Double {
            let e = exp(x), omega = 4 * (x + 1) + 4 * e * e + e * e * e + e * (4 * x + 6), delta = 2 * e + e * e + 2
            return e * omega / (delta * delta)
        }
        // mish through (−1, −0.3034) and (2, 1.944) on the left; mish′ through (−2.5, …) on the right panel.
        for x in [-1.0, 2, 3.5] {
            let p = f.pixel(x: x, y: mish(x))
            XCTAssertTrue(near(image, p.x, p.y, red), "mish(\(x)) at \(p)")
        }
        for x in [-2.5, -0.5, 1.5] {
            let p = df.pixel(x: x, y: mishDerivative(x))
            XCTAssertTrue(near(image, p.x + f.width, p.y, red), "mish′(\(x)) at \(p)")
        }
        // swish(−1) = −0.2689 is 0.035 above mish there: its own colour, a few pixels away.
        let swish = f.pixel(x: -1, y: -1 / (1 + exp(1.0)))
        XCTAssertTrue(near(image, swish.x, swish.y, blue))
        // Nothing is drawn far from every curve: the x = 0 axis at y = 4.5, a grid line at x = −4, y = 2.5.
        let axis = f.pixel(x: 0, y: 4.5)
        XCTAssertEqual(color(image, axis.x, axis.y), LinePlot.axisColor)
        let grid = f.pixel(x: -4, y: 2.5)
        XCTAssertEqual(color(image, grid.x, grid.y), LinePlot.gridColor)
        XCTAssertEqual(color(image, grid.x + 3, grid.y), .white)
        // The frame's corners are black.
        XCTAssertEqual(color(image, f.marginLeft, f.marginTop), .black)
        XCTAssertEqual(color(image, f.width + df.width - df.marginRight, df.height - df.marginBottom), .black)
    }

    func testTicksAreRoundNumbers() {
        XCTAssertEqual(LinePlot.ticks(-5...5), [-4, -2, 0, 2, 4])
        XCTAssertEqual(LinePlot.ticks(-0.3...1.3), [-0.2, 0, 0.2, 0.4, 0.6, 0.8, 1, 1.2])
    }

    func testLandscapeIsTheNetworksOutputThroughTheColourMap() throws {
        let size = 48
        let (rendered, values) = Figures.landscape(activation: .activation(.mish), seed: 3, size: size, range: 3)
        let image = try temporaryPNG(rendered)
        let network = Figures.Landscape(activation: .activation(.mish), seed: 3)
        // The same network evaluated independently in double precision at a few pixels.
        func reference(_ x: Float, _ y: Float) -> Double {
            var a = [Double(x), Double(y)]
            for l in 0..<network.weights.count {
                let inputs = network.sizes[l], outputs = network.sizes[l + 1]
                a = (0..<outputs).map { o in
                    let s = (0..<inputs).reduce(0.0) { $0 + Double(network.weights[l][o * inputs + $1]) * a[$1] }
                    return l < network.weights.count - 1 ? s * tanh(log1p(exp(s))) : s
                }
            }
            return a[0]
        }
        let lo = values.min()!, hi = values.max()!
        XCTAssertLessThan(lo, hi)
        for (row, column) in [(0, 0), (5, 40), (24, 24), (47, 3)] {
            let (x, y) = Figures.gridPoint(row: row, column: column, size: size, range: 3)
            let value = values[row * size + column]
            XCTAssertEqual(Double(value), reference(x, y), accuracy: 1e-4 * max(1, abs(reference(x, y))))
            XCTAssertEqual(color(image, column, row), Figures.colormap(Double((value - lo) / (hi - lo))))
        }
        // Top-left is (−3, 3) and y grows upwards.
        XCTAssertEqual(Figures.gridPoint(row: 0, column: 0, size: size, range: 3).0, -3 + 3.0 / 48, accuracy: 1e-6)
        XCTAssertEqual(Figures.gridPoint(row: 0, column: 0, size: size, range: 3).1, 3 - 3.0 / 48, accuracy: 1e-6)
        XCTAssertEqual(Figures.colormap(0), Color(68, 1, 84))
        XCTAssertEqual(Figures.colormap(1), Color(253, 231, 37))
    }
}
