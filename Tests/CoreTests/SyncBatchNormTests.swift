import Foundation
import SwiftnetCore
import XCTest

/// Synchronised batch-norm in the kernels: two halves of a mini-batch, each normalised with the statistics summed
/// over both (what `--sync-bn` does across ranks), give exactly what the whole mini-batch gives in one call.
final class SyncBatchNormTests: XCTestCase {
    let channels = 3, spatial = 5, half = 2

    func random(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SeededRandom(seed: seed)
        return (0..<count).map { _ in generator.nextFloat() * 4 - 1.5 }
    }

    /// Runs forward on `x` (batch `batch`) with `reduce`, returning (output, normalized, mean, variance).
    func forward(_ x: [Float], batch: Int, gamma: [Float], beta: [Float], reduce: Kernels.StatisticsReduction?)
        -> (output: [Float], normalized: [Float], mean: [Float], variance: [Float]) {
        var output = [Float](repeating: 0, count: x.count), normalized = output
        var mean = [Float](repeating: 0, count: channels), variance = mean
        Kernels.batchNormForward(x, batch: batch, channels: channels, spatial: spatial, gamma: gamma, beta: beta,
                                 mean: &mean, variance: &variance, normalized: &normalized, output: &output, reduce: reduce)
        return (output, normalized, mean, variance)
    }

    /// A reduction that records this half's sums and adds the other half's (recorded by an earlier call).
    final class Exchange {
        var recorded: [[Double]] = [[], []]
        func reduce(mine: Int, adding other: Int?) -> Kernels.StatisticsReduction {
            { values, count in
                self.recorded[mine] = Array(UnsafeBufferPointer(start: values, count: count))
                if let other { for k in 0..<count { values[k] += self.recorded[other][k] } }
            }
        }
    }

    func testHalvesWithSummedStatisticsEqualTheWholeBatch() throws {
        let perImage = channels * spatial
        let x = random(2 * half * perImage, seed: 5)
        let delta = random(2 * half * perImage, seed: 6)
        let gamma: [Float] = [0.7, 1.3, -0.4], beta: [Float] = [0.1, -0.2, 0.3]
        let whole = forward(x, batch: 2 * half, gamma: gamma, beta: beta, reduce: nil)
        let a = Array(x[..<(half * perImage)]), b = Array(x[(half * perImage)...])

        // Forward: record each half's sums, then each half with the other's added.
        let sums = Exchange()
        _ = forward(a, batch: half, gamma: gamma, beta: beta, reduce: sums.reduce(mine: 0, adding: nil))
        _ = forward(b, batch: half, gamma: gamma, beta: beta, reduce: sums.reduce(mine: 1, adding: nil))
        XCTAssertEqual(sums.recorded[0].last, Double(half * spatial))
        let snapshot = sums.recorded
        let fa = forward(a, batch: half, gamma: gamma, beta: beta, reduce: { v, n in for k in 0..<n { v[k] += snapshot[1][k] } })
        let fb = forward(b, batch: half, gamma: gamma, beta: beta, reduce: { v, n in for k in 0..<n { v[k] += snapshot[0][k] } })
        for c in 0..<channels {
            XCTAssertEqual(fa.mean[c], whole.mean[c], accuracy: 1e-6)
            XCTAssertEqual(fb.variance[c], whole.variance[c], accuracy: 1e-6)
        }
        for (u, v) in zip(fa.output + fb.output, whole.output) { XCTAssertEqual(u, v, accuracy: 1e-5) }
        // Without the reduction a half is normalised by its own statistics: a different result.
        let alone = forward(a, batch: half, gamma: gamma, beta: beta, reduce: nil)
        XCTAssertGreaterThan(zip(alone.output, fa.output).map { abs($0 - $1) }.max() ?? 0, 1e-2)

        // Backward: each half's parameter updates are its own share (summed later with the gradients); the input
        // deltas use the means of δ and δ·x̂ over both halves.
        func backward(_ d: [Float], normalized: [Float], batch: Int, variance: [Float], reduce: Kernels.StatisticsReduction?)
            -> (delta: [Float], gammaUpdate: [Float], betaUpdate: [Float]) {
            var d = d, g = [Float](repeating: 0, count: channels), bu = g
            Kernels.batchNormBackward(&d, normalized: normalized, batch: batch, channels: channels, spatial: spatial, gamma: gamma,
                                      variance: variance, gammaUpdate: &g, betaUpdate: &bu, reduce: reduce)
            return (d, g, bu)
        }
        let wholeBack = backward(delta, normalized: whole.normalized, batch: 2 * half, variance: whole.variance, reduce: nil)
        let da = Array(delta[..<(half * perImage)]), db = Array(delta[(half * perImage)...])
        let deltas = Exchange()
        _ = backward(da, normalized: fa.normalized, batch: half, variance: fa.variance, reduce: deltas.reduce(mine: 0, adding: nil))
        _ = backward(db, normalized: fb.normalized, batch: half, variance: fb.variance, reduce: deltas.reduce(mine: 1, adding: nil))
        let recorded = deltas.recorded
        let ba = backward(da, normalized: fa.normalized, batch: half, variance: fa.variance, reduce: { v, n in for k in 0..<n { v[k] += recorded[1][k] } })
        let bb = backward(db, normalized: fb.normalized, batch: half, variance: fb.variance, reduce: { v, n in for k in 0..<n { v[k] += recorded[0][k] } })
        for (u, v) in zip(ba.delta + bb.delta, wholeBack.delta) { XCTAssertEqual(u, v, accuracy: 1e-5) }
        for c in 0..<channels {
            XCTAssertEqual(ba.gammaUpdate[c] + bb.gammaUpdate[c], wholeBack.gammaUpdate[c], accuracy: 1e-5)
            XCTAssertEqual(ba.betaUpdate[c] + bb.betaUpdate[c], wholeBack.betaUpdate[c], accuracy: 1e-5)
        }
    }
}
