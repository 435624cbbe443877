import Foundation
import SwiftnetCore
import SwiftnetFormat

/// The batch-norm state of one layer — `[convolutional]` or `[connected]` with `batch_normalize=1`, or
/// `[batchnorm]`: γ (`scales`) and the rolling statistics, plus, while training, the batch statistics and the
/// normalised values backward needs. β is the owning layer's `biases`.
public final class BatchNormState {
    public let channels: Int
    /// γ, trained.
    public let scales: Buffer
    public let rollingMean: Buffer
    public let rollingVariance: Buffer
    /// γ with its update buffer (allocated on first use: inference never touches it).
    public private(set) lazy var scaleTrainable = Trainable(name: "scales", kind: .scales, value: scales)

    /// Set for `--sync-bn`: training statistics over every rank's mini-batch.
    var sync: StatisticsSync?

    private var batchMean = Buffer(count: 0)
    private var batchVariance = Buffer(count: 0)
    private var normalized = Buffer(count: 0)

    init(channels: Int) {
        self.channels = channels
        scales = Buffer(count: channels)
        scales.fill(1)
        rollingMean = Buffer(count: channels)
        rollingVariance = Buffer(count: channels)
        rollingVariance.fill(1)
    }

    /// In the weights file's order, after the layer's biases.
    var parameters: [ParameterArray] {
        [ParameterArray(name: "scales", buffer: scales), ParameterArray(name: "rolling_mean", buffer: rollingMean),
         ParameterArray(name: "rolling_variance", buffer: rollingVariance)]
    }

    /// Room for the normalised values of `count` outputs (a whole mini-batch).
    func allocateTraining(count: Int) {
        if normalized.count != count { normalized = Buffer(count: count) }
        if batchMean.count != channels {
            batchMean = Buffer(count: channels)
            batchVariance = Buffer(count: channels)
        }
        _ = scaleTrainable
    }

    /// Training: normalises `x` with the batch's statistics into `output` (γ·x̂ + β) and moves the rolling statistics
    /// with cuDNN's 0.99/0.01 and the unbiased variance.
    func forwardTraining(_ x: UnsafePointer<Float>, beta: Buffer, batch: Int, spatial: Int, output: UnsafeMutablePointer<Float>,
                         activated: UnsafeMutablePointer<Float>? = nil, activation: Activation = .linear) {
        Kernels.batchNormForward(x, batch: batch, channels: channels, spatial: spatial, gamma: scales.pointer, beta: beta.pointer,
                                 mean: batchMean.pointer, variance: batchVariance.pointer, normalized: normalized.pointer, output: output,
                                 activated: activated, activation: activation, reduce: sync?.reduce)
        let n = Float(batch * spatial * (sync?.ranks ?? 1))
        let unbiased = n > 1 ? n / (n - 1) : 1
        for c in 0..<channels {
            rollingMean[c] = 0.99 * rollingMean[c] + 0.01 * batchMean[c]
            rollingVariance[c] = 0.99 * rollingVariance[c] + 0.01 * batchVariance[c] * unbiased
        }
    }

    /// Backward through the normalisation of the last training forward: accumulates γ's and β's updates and turns
    /// `delta` (w.r.t. the output) into the delta w.r.t. the layer's raw values, in place.
    func backward(_ delta: UnsafeMutablePointer<Float>, batch: Int, spatial: Int, betaUpdate: Buffer,
                  preActivation: UnsafePointer<Float>? = nil, activation: Activation = .linear) {
        Kernels.batchNormBackward(delta, normalized: normalized.pointer, batch: batch, channels: channels, spatial: spatial,
                                  gamma: scales.pointer, variance: batchVariance.pointer,
                                  gammaUpdate: scaleTrainable.update.pointer, betaUpdate: betaUpdate.pointer,
                                  preActivation: preActivation, activation: activation, reduce: sync?.reduce)
    }

    /// Inference with the rolling statistics, in darknet's order: (x − mean) / sqrt(var + 1e-5) · γ + β.
    func normalize(_ x: UnsafePointer<Float>, beta: Buffer, batch: Int, spatial: Int, output: UnsafeMutablePointer<Float>) {
        for b in 0..<batch {
            for c in 0..<channels {
                let offset = (b * channels + c) * spatial
                let mean = rollingMean[c], deviation = (rollingVariance[c] + 0.00001).squareRoot()
                let gamma = scales[c], shift = beta[c]
                for i in 0..<spatial { output[offset + i] = (x[offset + i] - mean) / deviation * gamma + shift }
            }
        }
    }

    /// darknet's `fuse_conv_batchnorm` in double precision, rounded to float: per output channel, the weights
    /// (`perChannel` each) scaled by γ/sqrt(var + 1e-5) and the bias β − γ·mean/sqrt(var + 1e-5).
    func fold(weights: Buffer, biases: Buffer, perChannel: Int) -> (weights: Buffer, biases: Buffer) {
        let w = Buffer(count: weights.count)
        let b = Buffer(count: channels)
        for f in 0..<channels {
            let denominator = (Double(rollingVariance[f]) + 0.00001).squareRoot()
            b[f] = Float(Double(biases[f]) - Double(scales[f]) * Double(rollingMean[f]) / denominator)
            let factor = Double(scales[f]) / denominator
            for i in 0..<perChannel { w[f * perChannel + i] = Float(Double(weights[f * perChannel + i]) * factor) }
        }
        return (w, b)
    }
}
