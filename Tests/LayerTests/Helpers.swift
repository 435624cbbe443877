import Foundation
import SwiftnetCore
import SwiftnetFormat
@testable import SwiftnetLayers
import XCTest

/// Builds a network from cfg text.
func makeNetwork(_ text: String, batch: Int = 1) throws -> Network {
    try Network(config: NetworkConfig(text: text, path: "test.cfg"), batch: batch)
}

/// Deterministic pseudo-random values in [lo, hi).
func randomValues(_ count: Int, seed: UInt64, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
    var rng = SeededRandom(seed: seed)
    return (0..<count).map { _ in rng.uniform(lo, hi) }
}

extension Buffer {
    func set(_ values: [Float]) {
        precondition(values.count == count, "\(values.count) values for \(count)")
        for (i, v) in values.enumerated() { self[i] = v }
    }
}

func runForward(_ net: Network, input: [Float]) -> [Float] {
    net.input.set(input)
    net.forward()
    return net.outputLayer.output.array
}

func output(of layer: Layer) -> [Float] { layer.output.array }

func assertClose(_ a: [Float], _ b: [Float], tolerance: Float, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "count " + message, file: file, line: line)
    var worst: Float = 0
    var worstIndex = -1
    for i in 0..<min(a.count, b.count) {
        let d = abs(a[i] - b[i])
        if !(d <= worst) { worst = d; worstIndex = i }
    }
    XCTAssertLessThanOrEqual(worst, tolerance, "max |Δ| at \(worstIndex): \(worstIndex >= 0 ? "\(a[worstIndex]) vs \(b[worstIndex])" : "") " + message, file: file, line: line)
}

/// Reference convolution written directly from the definition (spec §1.8.1), for one image.
func naiveConvolution(input: [Float], c: Int, h: Int, w: Int, weights: [Float], bias: [Float], filters: Int, size k: Int,
                      strideX: Int, strideY: Int, pad: Int, dilation: Int, groups: Int, outH: Int, outW: Int) -> [Float] {
    var out = [Float](repeating: 0, count: filters * outH * outW)
    let cg = c / groups, fg = filters / groups
    for f in 0..<filters {
        let g = f / fg
        for oy in 0..<outH {
            for ox in 0..<outW {
                var sum: Double = 0
                for ci in 0..<cg {
                    let channel = g * cg + ci
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let iy = oy * strideY - pad * dilation + ky * dilation
                            let ix = ox * strideX - pad * dilation + kx * dilation
                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                            sum += Double(weights[((f * cg + ci) * k + ky) * k + kx]) * Double(input[(channel * h + iy) * w + ix])
                        }
                    }
                }
                out[(f * outH + oy) * outW + ox] = Float(sum) + bias[f]
            }
        }
    }
    return out
}
