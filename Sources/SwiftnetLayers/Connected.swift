import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[connected]`: `act(BN(W·x) + b)` over the flattened input, `W` stored `[outputs][inputs]` (spec §1.8.10).
public final class ConnectedLayer: Layer {
    public let config: ConnectedConfig
    public private(set) var biases = Buffer(count: 0)
    public private(set) var weights = Buffer(count: 0)
    public private(set) var scales = Buffer(count: 0)
    public private(set) var rollingMean = Buffer(count: 0)
    public private(set) var rollingVariance = Buffer(count: 0)

    init(spec: LayerSpec, config: ConnectedConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "connected" }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        let n = config.outputs
        if weights.count == 0 {
            biases = Buffer(count: n)
            weights = Buffer(count: n * input.count)
            if config.batchNormalize {
                scales = Buffer(count: n)
                scales.fill(1)
                rollingMean = Buffer(count: n)
                rollingVariance = Buffer(count: n)
                rollingVariance.fill(1)
            }
        } else if weights.count != n * input.count {
            throw ShapeError("a [connected] layer cannot be resized: its input size changed from \(weights.count / n) to \(input.count)")
        }
        inputShape = input
        return Shape(w: 1, h: 1, c: n)
    }

    public override var parameters: [ParameterArray] {
        var p = [ParameterArray(name: "biases", buffer: biases), ParameterArray(name: "weights", buffer: weights)]
        if config.batchNormalize {
            p += [ParameterArray(name: "scales", buffer: scales), ParameterArray(name: "rolling_mean", buffer: rollingMean),
                  ParameterArray(name: "rolling_variance", buffer: rollingVariance)]
        }
        return p
    }

    /// Files with a version field above 1000 store the matrix as `[inputs][outputs]`.
    func transposeWeights(fromInputsMajor: Bool) {
        let rows = fromInputsMajor ? inputShape.count : config.outputs
        let cols = fromInputsMajor ? config.outputs : inputShape.count
        let copy = weights.array
        for r in 0..<rows { for c in 0..<cols { weights[c * rows + r] = copy[r * cols + c] } }
    }

    public override func forward(_ ctx: ForwardContext) {
        let n = config.outputs, k = inputShape.count
        Gemm.sgemm(transA: false, transB: true, m: ctx.batch, n: n, k: k, alpha: 1, a: ctx.input, lda: k,
                   b: weights.pointer, ldb: k, beta: 0, c: output.pointer, ldc: n)
        for b in 0..<ctx.batch {
            let o = output.pointer + b * n
            for i in 0..<n {
                var v = o[i]
                if config.batchNormalize {
                    v = scales[i] * (v - rollingMean[i]) / (rollingVariance[i] + 0.00001).squareRoot()
                }
                o[i] = config.activation.apply(v + biases[i])
            }
        }
    }

    public override var bflops: Double { 2.0 * Double(inputShape.count) * Double(config.outputs) / 1e9 }

    public override var tableText: String {
        String(format: "connected                            %4d  ->  %4d", inputShape.count, config.outputs)
    }
}
