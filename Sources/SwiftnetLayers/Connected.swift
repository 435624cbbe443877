import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[connected]`: `act(BN(W·x) + b)` over the flattened input, `W` stored `[outputs][inputs]` (spec §1.8.10).
public final class ConnectedLayer: Layer {
    public let config: ConnectedConfig
    public private(set) var biases = Buffer(count: 0)
    public private(set) var weights = Buffer(count: 0)
    /// Batch-norm state when `batch_normalize=1`.
    public private(set) var bn: BatchNormState?
    public var scales: Buffer { bn?.scales ?? Buffer(count: 0) }
    public var rollingMean: Buffer { bn?.rollingMean ?? Buffer(count: 0) }
    public var rollingVariance: Buffer { bn?.rollingVariance ?? Buffer(count: 0) }

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
            if config.batchNormalize { bn = BatchNormState(channels: n) }
        } else if weights.count != n * input.count {
            throw ShapeError("a [connected] layer cannot be resized: its input size changed from \(weights.count / n) to \(input.count)")
        }
        inputShape = input
        return Shape(w: 1, h: 1, c: n)
    }

    public override var parameters: [ParameterArray] {
        [ParameterArray(name: "biases", buffer: biases), ParameterArray(name: "weights", buffer: weights)] + (bn?.parameters ?? [])
    }

    /// Files with a version field above 1000 store the matrix as `[inputs][outputs]`.
    func transposeWeights(fromInputsMajor: Bool) {
        let rows = fromInputsMajor ? inputShape.count : config.outputs
        let cols = fromInputsMajor ? config.outputs : inputShape.count
        let copy = weights.array
        for r in 0..<rows { for c in 0..<cols { weights[c * rows + r] = copy[r * cols + c] } }
    }

    private var preActivation = Buffer(count: 0)
    private lazy var biasTrainable = Trainable(name: "biases", kind: .biases, value: biases)
    private lazy var weightTrainable = Trainable(name: "weights", kind: .weights, value: weights)

    public override var trainables: [Trainable] { [biasTrainable, weightTrainable] + (bn.map { [$0.scaleTrainable] } ?? []) }

    public override var trainingFloatsPerImage: Int { 2 * config.outputs }

    public override func allocateTraining() {
        let n = batch * config.outputs
        if preActivation.count != n { preActivation = Buffer(count: n) }
        bn?.allocateTraining(count: n)
        _ = trainables
    }

    public override func forward(_ ctx: ForwardContext) {
        if ctx.training {
            forwardTraining(ctx)
            return
        }
        let n = config.outputs, k = inputShape.count
        Gemm.sgemm(transA: false, transB: true, m: ctx.batch, n: n, k: k, alpha: 1, a: ctx.input, lda: k,
                   b: weights.pointer, ldb: k, beta: 0, c: output.pointer, ldc: n)
        if let bn {
            bn.normalize(output.pointer, beta: biases, batch: ctx.batch, spatial: 1, output: output.pointer)
        } else {
            for b in 0..<ctx.batch { for i in 0..<n { output[b * n + i] += biases[i] } }
        }
        for i in 0..<(ctx.batch * n) { output[i] = config.activation.apply(output[i]) }
    }

    func forwardTraining(_ ctx: ForwardContext) {
        let n = config.outputs, k = inputShape.count
        Gemm.sgemm(transA: false, transB: true, m: ctx.batch, n: n, k: k, alpha: 1, a: ctx.input, lda: k,
                   b: weights.pointer, ldb: k, beta: 0, c: output.pointer, ldc: n)
        if let bn {
            bn.forwardTraining(output.pointer, beta: biases, batch: ctx.batch, spatial: 1, output: preActivation.pointer)
        } else {
            for b in 0..<ctx.batch { for i in 0..<n { preActivation[b * n + i] = output[b * n + i] + biases[i] } }
        }
        for i in 0..<(ctx.batch * n) { output[i] = config.activation.apply(preActivation[i]) }
    }

    public override func backward(_ ctx: BackwardContext) {
        let n = config.outputs, k = inputShape.count
        Kernels.activationGradient(preActivation.pointer, delta: delta.pointer, batch: ctx.batch, channels: n, spatial: 1, config.activation)
        if let bn {
            bn.backward(delta.pointer, batch: ctx.batch, spatial: 1, betaUpdate: biasTrainable.update)
        } else {
            Kernels.sumPerChannel(delta.pointer, batch: ctx.batch, channels: n, spatial: 1, into: biasTrainable.update.pointer)
        }
        // ΔW[n × k] += δᵀ[n × batch] · x[batch × k]
        Gemm.sgemm(transA: true, transB: false, m: n, n: k, k: ctx.batch, alpha: 1, a: delta.pointer, lda: n, b: ctx.input, ldb: k,
                   beta: 1, c: weightTrainable.update.pointer, ldc: k)
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
