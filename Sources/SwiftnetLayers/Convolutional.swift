import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[convolutional]`: grouped, dilated, strided 2-D convolution with optional batch-norm and a fused activation
/// (spec §1.8.1). Computed as im2col + GEMM per image and group; 1×1 stride-1 convolutions skip im2col.
public final class ConvolutionalLayer: Layer {
    public let config: ConvolutionalConfig
    public private(set) var geometry = ConvGeometry(channels: 0, height: 0, width: 0, kernel: 1, strideX: 1, strideY: 1, pad: 0, dilation: 1, outHeight: 0, outWidth: 0)

    /// Conv bias, or batch-norm beta when `batch_normalize=1`.
    public private(set) var biases = Buffer(count: 0)
    /// Batch-norm state when `batch_normalize=1`.
    public private(set) var bn: BatchNormState?
    public var scales: Buffer { bn?.scales ?? Buffer(count: 0) }
    public var rollingMean: Buffer { bn?.rollingMean ?? Buffer(count: 0) }
    public var rollingVariance: Buffer { bn?.rollingVariance ?? Buffer(count: 0) }
    /// `[filters][channels/groups][k][k]`.
    public private(set) var weights = Buffer(count: 0)

    /// What inference runs with, computed once after the weights change: batch-norm folded into the weights
    /// (darknet's `fuse_conv_batchnorm`), and the Winograd-transformed kernels when the layer runs as Winograd.
    private var inference: (weights: Buffer, biases: Buffer, winograd: Buffer?)?

    /// Whether inference runs this layer as Winograd F(4×4, 3×3) (3×3, stride 1, undilated, ≥ 8 channels and filters).
    public var usesWinograd: Bool { allowWinograd && Kernels.winogradApplies(geometry, filters: config.filters / config.groups, batch: planBatch) }

    /// The batch the Winograd choice looks at: training decides per image, so that a rank's share of a batch runs
    /// the same arithmetic as one process with the whole batch (small images are put together only in inference).
    private var planBatch: Int { training ? 1 : batch }

    /// A new batch can cross the Winograd threshold of small images (several put together): transform the kernels now.
    public override var batch: Int {
        didSet { if batch != oldValue { refreshWinogradKernels() } }
    }

    private func refreshWinogradKernels() {
        if let prepared = inference, (prepared.winograd != nil) != usesWinograd {
            inference = (prepared.weights, prepared.biases, winogradKernels(prepared.weights))
        }
    }

    /// The network's plan allows Winograd (``Network/winograd``).
    var allowWinograd = true

    // Training state: the pre-activation values of the last forward (batch-norm keeps its own).
    private var preActivation = Buffer(count: 0)
    private lazy var biasTrainable = Trainable(name: "biases", kind: .biases, value: biases)
    private lazy var weightTrainable = Trainable(name: "weights", kind: .weights, value: weights)

    init(spec: LayerSpec, config: ConvolutionalConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "conv" }

    public var weightCount: Int { config.filters * (inputShape.c / config.groups) * config.size * config.size }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        let c = config
        guard input.c % c.groups == 0 else {
            throw ShapeError("input has \(input.c) channels, not divisible by groups=\(c.groups)")
        }
        let outW = (input.w + 2 * c.padding - c.size) / c.strideX + 1
        let outH = (input.h + 2 * c.padding - c.size) / c.strideY + 1
        guard outW >= 1, outH >= 1 else {
            throw ShapeError("a \(c.size)×\(c.size) kernel does not fit the \(input.w)×\(input.h) input")
        }
        try MemoryBudget.check(MemoryBudget.product(c.filters, input.c / c.groups, c.size, c.size), "its \(c.filters)×\(input.c / c.groups)×\(c.size)×\(c.size) weights")
        let firstTime = weights.count == 0
        inputShape = input
        geometry = ConvGeometry(channels: input.c / c.groups, height: input.h, width: input.w, kernel: c.size,
                                strideX: c.strideX, strideY: c.strideY, pad: c.padding, dilation: c.dilation,
                                outHeight: outH, outWidth: outW)
        if firstTime {
            biases = Buffer(count: c.filters)
            weights = Buffer(count: weightCount)
            if c.batchNormalize { bn = BatchNormState(channels: c.filters) }
        } else if weights.count != weightCount {
            throw ShapeError("resizing changed the channel count of a convolution")
        } else {
            // A new size can cross the Winograd threshold: transform the kernels now, not in the next forward.
            refreshWinogradKernels()
        }
        return Shape(w: outW, h: outH, c: c.filters)
    }

    public override func workspaceCount(threads: Int) -> Int {
        let inference = usesWinograd ? Kernels.winogradWorkspaceCount(geometry, filters: config.filters / config.groups, batch: batch, threads: threads)
            : Kernels.convolutionInferenceWorkspaceCount(geometry, batch: batch, threads: threads)
        // In the network's shared workspace, so only the largest layer counts.
        guard training else { return inference }
        let m = config.filters / config.groups
        // Training's Winograd blocks stay within one image (mergeImages: false), so batch 1 sizes them.
        let winograd = usesWinograd
            ? max(Kernels.winogradWorkspaceCount(geometry, filters: m, threads: threads),
                  Kernels.winogradWorkspaceCount(Kernels.winogradInputDeltaGeometry(geometry, filters: m), filters: geometry.channels,
                                                 threads: threads))
            : 0
        return max(inference, winograd, Kernels.convolutionBatchWorkspaceCount(geometry, threads: threads),
                   Kernels.convolutionBackwardWorkspaceCount(geometry, weightCount: weights.count, threads: threads))
    }

    public override var trainables: [Trainable] { [biasTrainable, weightTrainable] + (bn.map { [$0.scaleTrainable] } ?? []) }

    public override var trainingFloatsPerImage: Int { outputShape.count * (config.batchNormalize ? 2 : 1) }

    public override func allocateTraining() {
        let n = batch * outputShape.count
        if preActivation.count != n { preActivation = Buffer(count: n) }
        bn?.allocateTraining(count: n)
        // Only layers that run as Winograd at this size (called again after every resize) hold the 4× kernels.
        if usesWinograd, trainingWinograd == nil {
            trainingWinograd = (Buffer(count: weights.count * 4), Buffer(count: weights.count * 4))
        }
        _ = trainables
    }

    /// Training's Winograd kernels (36 per 3×3 kernel, so 4× the weights): the forward ones and the turned ones of the
    /// input-delta convolution, transformed from the current weights in every forward.
    private var trainingWinograd: (forward: Buffer, inputDelta: Buffer)?

    public override var parameters: [ParameterArray] {
        [ParameterArray(name: "biases", buffer: biases)] + (bn?.parameters ?? []) + [ParameterArray(name: "weights", buffer: weights)]
    }

    /// The weight matrix with `flipped=1` is stored transposed in the file.
    func transposeWeightsForFlipped() {
        guard config.flipped else { return }
        let rows = weightCount / config.filters, cols = config.filters
        let copy = weights.array
        for r in 0..<rows { for col in 0..<cols { weights[col * rows + r] = copy[r * cols + col] } }
    }

    func untransposedForSaving() -> Buffer {
        guard config.flipped else { return weights }
        let rows = weightCount / config.filters, cols = config.filters
        let out = Buffer(count: weights.count)
        for r in 0..<rows { for col in 0..<cols { out[r * cols + col] = weights[col * rows + r] } }
        return out
    }

    /// Folds batch-norm into weights and biases in double precision, rounding to float (spec §1.8.1), and transforms
    /// the kernels for Winograd where the layer uses it. Called when weights are loaded; inference then reads only.
    public override func prepareForInference() {
        let folded = foldedInPlace ? nil : bn.map { $0.fold(weights: weights, biases: biases, perChannel: weightCount / config.filters) }
        let w = folded?.weights ?? weights
        inference = (w, folded?.biases ?? biases, winogradKernels(w))
    }

    private func winogradKernels(_ w: Buffer) -> Buffer? {
        guard usesWinograd else { return nil }
        let groups = config.groups
        return Kernels.winogradWeights(w.pointer, groups: groups, filters: config.filters / groups, channels: inputShape.c / groups)
    }

    /// Invalidates the folded copy (after the raw parameters change, e.g. in training).
    public func invalidateInferenceCache() {
        inference = nil
    }

    /// Whether `weights` and `biases` hold batch-norm folded in (``foldBatchNormInPlace()``), not the file's values.
    public private(set) var foldedInPlace = false

    /// darknet's `fuse_conv_batchnorm`: writes the folded weights and biases over the raw ones, so inference keeps
    /// no second copy. Only for inference-only networks (``Network/foldForInference()``).
    func foldBatchNormInPlace() {
        guard let bn, !foldedInPlace else { return }
        let folded = bn.fold(weights: weights, biases: biases, perChannel: weightCount / config.filters)
        weights.pointer.update(from: folded.weights.pointer, count: weights.count)
        biases.pointer.update(from: folded.biases.pointer, count: biases.count)
        foldedInPlace = true
        inference = nil
    }

    /// New raw parameters were written (weights loaded or initialised).
    func parametersReplaced() {
        foldedInPlace = false
        inference = nil
    }

    public override func forward(_ ctx: ForwardContext) {
        if ctx.training {
            forwardTraining(ctx)
            return
        }
        let g = geometry
        let groups = config.groups
        let m = config.filters / groups
        if inference == nil { prepareForInference() }
        guard let (w, bias, winograd) = inference else { return }
        if let winograd, usesWinograd {
            Kernels.convolutionWinograd(g, groups: groups, filters: m, batch: ctx.batch, transformed: winograd.pointer, bias: bias.pointer,
                                        activation: config.activation, input: ctx.input, output: output.pointer, workspace: ctx.workspace,
                                        threads: ctx.threads)
            return
        }
        Kernels.convolutionInference(g, groups: groups, filters: m, batch: ctx.batch, weights: w.pointer, bias: bias.pointer,
                                     activation: config.activation, input: ctx.input, output: output.pointer, workspace: ctx.workspace,
                                     threads: ctx.threads)
    }

    /// Training forward: raw convolution, then batch-norm with batch statistics (updating the rolling ones with
    /// cuDNN's 0.99/0.01 and the unbiased variance) or the bias, then the activation; keeps what backward needs.
    func forwardTraining(_ ctx: ForwardContext) {
        let g = geometry
        let groups = config.groups
        let m = config.filters / groups
        let spatial = g.outSpatial
        if let kernels = trainingWinograd, usesWinograd {
            Kernels.winogradWeights(weights.pointer, groups: groups, filters: m, channels: g.channels, flipped: false, into: kernels.forward.pointer,
                                    threads: ctx.threads)
            Kernels.convolutionWinograd(g, groups: groups, filters: m, batch: ctx.batch, transformed: kernels.forward.pointer, bias: nil,
                                        activation: .linear, mergeImages: false, input: ctx.input, output: output.pointer,
                                        workspace: ctx.workspace, threads: ctx.threads)
        } else {
            Kernels.convolutionBatch(g, groups: groups, filters: m, batch: ctx.batch, weights: weights.pointer, input: ctx.input,
                                     output: output.pointer, workspace: ctx.workspace, threads: ctx.threads)
        }
        let count = ctx.batch * outputShape.count
        if let bn, !config.activation.isChannelwise {
            // One pass writes the pre-activation values (kept for backward) and the activated output over the raw ones.
            bn.forwardTraining(output.pointer, beta: biases, batch: ctx.batch, spatial: spatial, output: preActivation.pointer,
                               activated: output.pointer, activation: config.activation)
            invalidateInferenceCache()
            return
        }
        if let bn {
            bn.forwardTraining(output.pointer, beta: biases, batch: ctx.batch, spatial: spatial, output: preActivation.pointer)
        } else {
            preActivation.pointer.update(from: output.pointer, count: count)
            for b in 0..<ctx.batch {
                let base = preActivation.pointer + b * outputShape.count
                for f in 0..<config.filters {
                    let row = base + f * spatial
                    let bias = biases[f]
                    for i in 0..<spatial { row[i] += bias }
                }
            }
        }
        output.pointer.update(from: preActivation.pointer, count: count)
        Kernels.activate(output.pointer, batch: ctx.batch, channels: config.filters, spatial: spatial, config.activation)
        invalidateInferenceCache()
    }

    public override func backward(_ ctx: BackwardContext) {
        let spatial = geometry.outSpatial
        if let bn, !config.activation.isChannelwise {
            // The activation's gradient inside batch-norm's first pass over the rows.
            bn.backward(delta.pointer, batch: ctx.batch, spatial: spatial, betaUpdate: biasTrainable.update,
                        preActivation: preActivation.pointer, activation: config.activation)
        } else {
            Kernels.activationGradient(preActivation.pointer, delta: delta.pointer, batch: ctx.batch, channels: config.filters,
                                       spatial: spatial, config.activation)
            if let bn {
                bn.backward(delta.pointer, batch: ctx.batch, spatial: spatial, betaUpdate: biasTrainable.update)
            } else {
                Kernels.sumPerChannel(delta.pointer, batch: ctx.batch, channels: config.filters, spatial: spatial, into: biasTrainable.update.pointer)
            }
        }
        let groups = config.groups, m = config.filters / groups
        // The input delta of a 3×3 stride-1 layer is itself a 3×3 convolution (turned kernels): Winograd as well.
        let winogradDelta = ctx.inputDelta != nil && trainingWinograd != nil && Kernels.winogradInputDeltaApplies(geometry, filters: m)
        Kernels.convolutionBackward(geometry, groups: groups, filters: m, batch: ctx.batch,
                                    input: ctx.input, delta: delta.pointer, weights: weights.pointer,
                                    weightUpdate: weightTrainable.update.pointer, inputDelta: winogradDelta ? nil : ctx.inputDelta,
                                    workspace: ctx.workspace, threads: ctx.threads)
        if winogradDelta, let inputDelta = ctx.inputDelta, let kernels = trainingWinograd {
            let c = geometry.channels
            Kernels.winogradWeights(weights.pointer, groups: groups, filters: m, channels: c, flipped: true, into: kernels.inputDelta.pointer,
                                    threads: ctx.threads)
            Kernels.convolutionWinograd(Kernels.winogradInputDeltaGeometry(geometry, filters: m), groups: groups, filters: c,
                                        batch: ctx.batch, transformed: kernels.inputDelta.pointer, bias: nil, activation: .linear,
                                        accumulate: true, mergeImages: false, input: delta.pointer, output: inputDelta, workspace: ctx.workspace,
                                        threads: ctx.threads)
        }
    }

    public override var bflops: Double {
        2.0 * Double(weightCount) * Double(geometry.outSpatial) / 1e9
    }

    public override var tableText: String {
        let c = config
        var s = "conv  "
        s += c.groups > 1 ? String(format: "%5d/%4d ", c.filters, c.groups) : String(format: "%5d      ", c.filters)
        if c.strideX != c.strideY {
            s += String(format: "%2dx%2d/%2dx%2d ", c.size, c.size, c.strideX, c.strideY)
        } else if c.dilation > 1 {
            s += String(format: "%2d x%2d/%2d(%1d)", c.size, c.size, c.strideX, c.dilation)
        } else {
            s += String(format: "%2d x%2d/%2d   ", c.size, c.size, c.strideX)
        }
        s += String(format: "%4d x%4d x%4d -> %4d x%4d x%4d %5.3f BF", inputShape.w, inputShape.h, inputShape.c,
                    outputShape.w, outputShape.h, outputShape.c, bflops)
        return s
    }
}
