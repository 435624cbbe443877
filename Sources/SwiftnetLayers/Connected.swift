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
        try MemoryBudget.check(MemoryBudget.product(n, input.count), "its \(n)×\(input.count) weights")
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

    private var preActivation = Buffer(count: 0)
    private var normalized = Buffer(count: 0)
    private var batchMean = Buffer(count: 0)
    private var batchVariance = Buffer(count: 0)
    private lazy var weightTrainables: [Trainable] = {
        var t = [Trainable(name: "biases", kind: .biases, value: biases), Trainable(name: "weights", kind: .weights, value: weights)]
        if config.batchNormalize { t.append(Trainable(name: "scales", kind: .scales, value: scales)) }
        return t
    }()

    public override var trainables: [Trainable] { weightTrainables }

    public override var trainingFloatsPerImage: Int { 2 * config.outputs }

    public override func allocateTraining() {
        let n = batch * config.outputs
        if preActivation.count != n {
            preActivation = Buffer(count: n)
            normalized = Buffer(count: n)
            batchMean = Buffer(count: config.outputs)
            batchVariance = Buffer(count: config.outputs)
        }
        _ = weightTrainables
    }

    public override func forward(_ ctx: ForwardContext) {
        if ctx.training {
            forwardTraining(ctx)
            return
        }
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

    func forwardTraining(_ ctx: ForwardContext) {
        let n = config.outputs, k = inputShape.count
        Gemm.sgemm(transA: false, transB: true, m: ctx.batch, n: n, k: k, alpha: 1, a: ctx.input, lda: k,
                   b: weights.pointer, ldb: k, beta: 0, c: output.pointer, ldc: n)
        if config.batchNormalize {
            Kernels.batchNormForward(output.pointer, batch: ctx.batch, channels: n, spatial: 1, gamma: scales.pointer,
                                     beta: biases.pointer, mean: batchMean.pointer, variance: batchVariance.pointer,
                                     normalized: normalized.pointer, output: preActivation.pointer)
            let unbiased: Float = ctx.batch > 1 ? Float(ctx.batch) / Float(ctx.batch - 1) : 1
            for i in 0..<n {
                rollingMean[i] = 0.99 * rollingMean[i] + 0.01 * batchMean[i]
                rollingVariance[i] = 0.99 * rollingVariance[i] + 0.01 * batchVariance[i] * unbiased
            }
        } else {
            for b in 0..<ctx.batch { for i in 0..<n { preActivation[b * n + i] = output[b * n + i] + biases[i] } }
        }
        for i in 0..<(ctx.batch * n) { output[i] = config.activation.apply(preActivation[i]) }
    }

    public override func backward(_ ctx: BackwardContext) {
        let n = config.outputs, k = inputShape.count
        let updates = weightTrainables
        Kernels.activationGradient(preActivation.pointer, delta: delta.pointer, batch: ctx.batch, channels: n, spatial: 1, config.activation)
        if config.batchNormalize {
            Kernels.batchNormBackward(delta.pointer, normalized: normalized.pointer, batch: ctx.batch, channels: n, spatial: 1,
                                      gamma: scales.pointer, variance: batchVariance.pointer,
                                      gammaUpdate: updates[2].update.pointer, betaUpdate: updates[0].update.pointer)
        } else {
            Kernels.sumPerChannel(delta.pointer, batch: ctx.batch, channels: n, spatial: 1, into: updates[0].update.pointer)
        }
        // ΔW[n × k] += δᵀ[n × batch] · x[batch × k]
        Gemm.sgemm(transA: true, transB: false, m: n, n: k, k: ctx.batch, alpha: 1, a: delta.pointer, lda: n, b: ctx.input, ldb: k,
                   beta: 1, c: updates[1].update.pointer, ldc: k)
        if let inputDelta = ctx.inputDelta {
            Gemm.sgemm(transA: false, transB: false, m: ctx.batch, n: k, k: n, alpha: 1, a: delta.pointer, lda: n,
                       b: weights.pointer, ldb: k, beta: 1, c: inputDelta, ldc: k)
        }
    }

    public override var bflops: Double { 2.0 * Double(inputShape.count) * Double(config.outputs) / 1e9 }

    public override var tableText: String {
        String(format: "connected                            %4d  ->  %4d", inputShape.count, config.outputs)
    }
}
