import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[shortcut]`: `act(prev + Σ from_i)`, each input added over the common prefix of the flat per-image buffers
/// (matching channels; surplus ignored); optionally weighted per input or per channel (spec §1.8.6).
public final class ShortcutLayer: Layer {
    public let config: ShortcutConfig
    private var sources: [Layer] = []
    /// `(n+1)` or `(n+1)·c` weights when `weights_type` is set.
    public private(set) var weights = Buffer(count: 0)
    private var normalizedWeights: Buffer?

    init(spec: LayerSpec, config: ShortcutConfig) {
        self.config = config
        super.init(spec: spec)
    }

    public override var typeName: String { "Shortcut Layer" }

    var weightCount: Int {
        switch config.weights {
        case .none: return 0
        case .perFeature: return config.from.count + 1
        case .perChannel: return (config.from.count + 1) * inputShape.c
        }
    }

    public override func reshape(input: Shape, layers: [Layer]) throws -> Shape {
        sources = config.from.map { layers[$0] }
        for source in sources {
            let s = source.outputShape
            guard s.w == input.w, s.h == input.h else {
                throw ShapeError("shortcut from layer \(source.index) (\(s)) does not match the previous layer's \(input.w)×\(input.h); widths and heights must be equal", sizeMismatch: true)
            }
        }
        let firstTime = inputShape.count == 0
        inputShape = input
        if firstTime && config.weights != .none {
            weights = Buffer(count: weightCount)
            weights.fill(1)
        }
        return input
    }

    public override var parameters: [ParameterArray] {
        config.weights == .none ? [] : [ParameterArray(name: "weights", buffer: weights)]
    }

    /// darknet pre-normalises weighted shortcuts once for inference, using `max(w, 0.001)` for relu.
    public override func prepareForInference() {
        guard config.weights != .none, config.normalization != .none else { return }
        normalizedWeights = Buffer(effectiveWeights(reluFloor: 0.001))
    }

    public override func forward(_ ctx: ForwardContext) {
        let size = outputShape.count
        let spatial = outputShape.spatial
        if ctx.training, config.weights != .none { normalizedWeights = Buffer(effectiveWeights()) }
        let w = (normalizedWeights ?? weights).pointer
        for b in 0..<ctx.batch {
            let dst = output.pointer + b * size
            let prev = ctx.input + b * size
            switch config.weights {
            case .none:
                dst.update(from: prev, count: size)
                for source in sources {
                    let s = source.outputShape.count
                    Kernels.add(source.output.pointer + b * s, into: dst, count: min(s, size))
                }
            case .perFeature:
                for i in 0..<size { dst[i] = w[0] * prev[i] }
                for (k, source) in sources.enumerated() {
                    let s = source.outputShape.count
                    Kernels.axpy(w[k + 1], source.output.pointer + b * s, into: dst, count: min(s, size))
                }
            case .perChannel:
                let channels = outputShape.c
                for i in 0..<size { dst[i] = w[i / spatial] * prev[i] }
                for (k, source) in sources.enumerated() {
                    let s = min(source.outputShape.count, size)
                    let src = source.output.pointer + b * source.outputShape.count
                    for i in 0..<s { dst[i] += w[(k + 1) * channels + i / spatial] * src[i] }
                }
            }
        }
        if ctx.training {
            preActivation.pointer.update(from: output.pointer, count: ctx.batch * size)
            if config.weights != .none { normalizedWeights = nil }
        }
        Kernels.activate(output.pointer, batch: ctx.batch, channels: outputShape.c, spatial: spatial, config.activation)
    }

    private var preActivation = Buffer(count: 0)
    private lazy var weightTrainable = Trainable(name: "weights", kind: .weights, value: weights)

    public override var trainables: [Trainable] { config.weights == .none ? [] : [weightTrainable] }

    public override var trainingFloatsPerImage: Int { outputShape.count }

    public override func allocateTraining() {
        if preActivation.count != batch * outputShape.count { preActivation = Buffer(count: batch * outputShape.count) }
        if config.weights != .none { _ = weightTrainable }
    }

    /// Effective weights after normalisation (relu: `max(w, floor)/Σ`, softmax), laid out like the raw ones.
    private func effectiveWeights(reluFloor: Float = 0) -> [Float] {
        let n = config.from.count + 1
        let groups = config.weights == .perChannel ? inputShape.c : 1
        var out = [Float](repeating: 0, count: n * groups)
        for g in 0..<groups {
            let raw = (0..<n).map { weights[$0 * groups + g] }
            let eff: [Float]
            switch config.normalization {
            case .none: eff = raw
            case .relu:
                let r = raw.map { max($0, reluFloor) }
                let sum = r.reduce(0, +) + 0.0001
                eff = r.map { $0 / sum }
            case .softmax:
                let m = raw.max() ?? 0
                let e = raw.map { expf($0 - m) }
                let sum = e.reduce(0, +) + 0.0001
                eff = e.map { $0 / sum }
            }
            for i in 0..<n { out[i * groups + g] = eff[i] }
        }
        return out
    }

    public override func backward(_ ctx: BackwardContext) {
        let size = outputShape.count, spatial = outputShape.spatial
        Kernels.activationGradient(preActivation.pointer, delta: delta.pointer, batch: ctx.batch, channels: outputShape.c,
                                   spatial: spatial, config.activation)
        if config.weights == .none {
            passDelta(ctx)
            for source in sources where source.training {
                let s = min(source.outputShape.count, size)
                for b in 0..<ctx.batch {
                    Kernels.add(delta.pointer + b * size, into: source.delta.pointer + b * source.outputShape.count, count: s)
                }
            }
            return
        }
        let w = effectiveWeights()
        let n = config.from.count + 1
        let groups = config.weights == .perChannel ? outputShape.c : 1
        var grad = [Float](repeating: 0, count: n * groups)   // −∂L/∂(effective weight)
        @inline(__always) func wIndex(_ k: Int, _ i: Int) -> Int { groups == 1 ? k : k * groups + i / spatial }
        for b in 0..<ctx.batch {
            let d = delta.pointer + b * size
            let prev = ctx.input + b * size
            for i in 0..<size {
                grad[wIndex(0, i)] += d[i] * prev[i]
                if let inputDelta = ctx.inputDelta { inputDelta[b * size + i] += d[i] * w[wIndex(0, i)] }
            }
            for (k, source) in sources.enumerated() {
                let s = min(source.outputShape.count, size)
                let src = source.output.pointer + b * source.outputShape.count
                for i in 0..<s {
                    grad[wIndex(k + 1, i)] += d[i] * src[i]
                    if source.training { source.delta[b * source.outputShape.count + i] += d[i] * w[wIndex(k + 1, i)] }
                }
            }
        }
        // Chain through the normalisation to the raw weights.
        let update = weightTrainable.update
        for g in 0..<groups {
            let raw = (0..<n).map { weights[$0 * groups + g] }
            let gEff = (0..<n).map { grad[$0 * groups + g] }
            var gRaw = [Float](repeating: 0, count: n)
            switch config.normalization {
            case .none: gRaw = gEff
            case .relu:
                let r = raw.map { max($0, 0) }
                let sum = r.reduce(0, +) + 0.0001
                let dot = zip(gEff, r).reduce(0) { $0 + $1.0 * $1.1 } / (sum * sum)
                for j in 0..<n where raw[j] > 0 { gRaw[j] = gEff[j] / sum - dot }
            case .softmax:
                let m = raw.max() ?? 0
                let e = raw.map { expf($0 - m) }
                let sum = e.reduce(0, +) + 0.0001
                let eff = e.map { $0 / sum }
                let dot = zip(gEff, eff).reduce(0) { $0 + $1.0 * $1.1 }
                for j in 0..<n { gRaw[j] = eff[j] * (gEff[j] - dot) }
            }
            for j in 0..<n { update[j * groups + g] += gRaw[j] }
        }
    }

    public override var bflops: Double { Double(outputShape.count * config.from.count) / 1e9 }

    public override var tableText: String {
        let typeCode: Int = { switch config.weights { case .none: 0; case .perFeature: 1; case .perChannel: 2 } }()
        let normCode: Int = { switch config.normalization { case .none: 0; case .relu: 1; case .softmax: 2 } }()
        var s = "Shortcut Layer: " + config.from.map(String.init).joined(separator: ", ")
        s += String(format: ",  wt = %d, wn = %d, outputs:%4d x%4d x%4d %5.3f BF", typeCode, normCode,
                    outputShape.w, outputShape.h, outputShape.c, bflops)
        for source in sources where source.outputShape != outputShape {
            let o = source.outputShape
            s += String(format: "\n (%4d x%4d x%4d) + (%4d x%4d x%4d) ", inputShape.w, inputShape.h, inputShape.c, o.w, o.h, o.c)
        }
        return s
    }
}
