/// Learning-rate policies of `[net] policy` (spec §1.7).
public enum LearningRatePolicy: String, CaseIterable, Sendable {
    case constant, step, steps, exp, poly, sigmoid, random, sgdr
}

/// The typed `[net]` section (spec §1.5).
public struct NetConfig: Sendable {
    public var batch = 1
    public var subdivisions = 1
    public var width = 0
    public var height = 0
    public var channels = 0
    public var maxBatches = 0
    public var learningRate: Float = 0.001
    public var momentum: Float = 0.9
    public var decay: Float = 0.0001
    public var policy: LearningRatePolicy = .constant
    public var burnIn = 0
    public var power: Float = 4
    public var steps: [Int] = []
    public var scales: [Float] = []
    public var step = 1
    public var scale: Float = 1
    public var gamma: Float = 1
    public var learningRateMin: Float = 0.00001
    public var sgdrCycle = 0
    public var sgdrMult = 2
    public var adam = false
    public var b1: Float = 0.9
    public var b2: Float = 0.999
    public var eps: Float = 0.000001
    public var emaAlpha: Float = 0
    public var flip = true
    public var hue: Float = 0
    public var saturation: Float = 1
    public var exposure: Float = 1
    public var angle: Float = 0
    public var aspect: Float = 1
    public var minCrop = 0
    public var maxCrop = 0
    public var blur = 0
    public var gaussianNoise = 0
    public var mixup = 0
    public var cutmix = false
    public var mosaic = false
    public var mosaicBound = false
    public var letterBox = false
    public var labelSmoothEps: Float = 0
    public var resizeStep = 32
    /// The chart's loss axis (`max_chart_loss`); nil: scaled to the losses.
    public var maxChartLoss: Float?
    public var timeSteps = 1

    /// The section header's line.
    public var line = 0
    /// The line of `batch=` (the header's when the key is absent), for errors about the batch.
    public var batchLine = 0

    public init() {}

    /// Images per forward pass (`batch` int div `subdivisions`).
    public var miniBatch: Int { max(1, batch / max(1, subdivisions)) }

    static func parse(_ r: inout OptionReader) throws -> NetConfig {
        var n = NetConfig()
        n.line = r.section.line
        n.batch = try r.int("batch", default: 1)
        n.batchLine = r.option("batch")?.line ?? r.section.line
        n.subdivisions = try r.int("subdivisions", default: 1)
        n.width = try r.int("width", default: 0)
        n.height = try r.int("height", default: 0)
        n.channels = try r.int("channels", default: 0)
        if let inputs = r.option("inputs"), let v = Int(inputs.value), v != n.width * n.height * n.channels {
            throw r.error(inputs, "inputs=\(v) does not match width·height·channels; only image inputs are supported")
        }
        if n.batch < 1 { throw r.sectionError("batch must be at least 1") }
        if n.subdivisions < 1 { throw r.sectionError("subdivisions must be at least 1") }
        if n.width <= 0 || n.height <= 0 || n.channels <= 0 {
            throw r.sectionError("width, height and channels must be positive (got \(n.width)×\(n.height)×\(n.channels))")
        }
        n.maxBatches = try r.int("max_batches", default: 0)
        n.learningRate = try r.float("learning_rate", default: 0.001)
        n.momentum = try r.float("momentum", default: 0.9)
        n.decay = try r.float("decay", default: 0.0001)
        for (key, value, valid, rule) in [("learning_rate", n.learningRate, n.learningRate >= 0 && n.learningRate.isFinite, "must be ≥ 0"),
                                          ("momentum", n.momentum, n.momentum >= 0 && n.momentum < 1, "must be in [0, 1)"),
                                          ("decay", n.decay, n.decay >= 0 && n.decay.isFinite, "must be ≥ 0")] where !valid {
            if let option = r.option(key) { throw r.error(option, "\(value) \(rule)") }
        }
        if let option = r.option("policy") {
            guard let policy = LearningRatePolicy(rawValue: option.value) else {
                throw r.error(option, "unknown policy '\(option.value)'; known: \(LearningRatePolicy.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            n.policy = policy
        }
        n.burnIn = try r.int("burn_in", default: 0)
        n.power = try r.float("power", default: 4)
        n.step = try r.int("step", default: 1)
        n.scale = try r.float("scale", default: 1)
        n.gamma = try r.float("gamma", default: 1)
        n.steps = try r.intList("steps") ?? []
        n.scales = try r.floatList("scales") ?? []
        if n.policy == .steps {
            guard !n.steps.isEmpty, !n.scales.isEmpty else { throw r.sectionError("policy=steps needs steps= and scales=") }
            guard n.steps.count == n.scales.count else {
                throw r.sectionError("steps has \(n.steps.count) values but scales has \(n.scales.count)")
            }
        }
        n.learningRateMin = try r.float("learning_rate_min", default: 0.00001)
        n.sgdrCycle = try r.int("sgdr_cycle", default: n.maxBatches)
        n.sgdrMult = try r.int("sgdr_mult", default: 2)
        n.adam = try r.bool("adam")
        // As in darknet, B1, B2 and eps are read only with adam=1 (otherwise they are unused keys).
        if n.adam {
            n.b1 = try r.float("B1", default: 0.9)
            n.b2 = try r.float("B2", default: 0.999)
            n.eps = try r.float("eps", default: 0.000001)
            guard n.b1 >= 0, n.b1 < 1, n.b2 >= 0, n.b2 < 1, n.eps > 0 else {
                throw r.sectionError("Adam needs B1 and B2 in [0, 1) and eps > 0 (got B1=\(n.b1), B2=\(n.b2), eps=\(n.eps))")
            }
        }
        n.emaAlpha = try r.float("ema_alpha", default: 0)
        n.flip = try r.bool("flip", default: true)
        n.hue = try r.float("hue", default: 0)
        n.saturation = try r.float("saturation", default: 1)
        n.exposure = try r.float("exposure", default: 1)
        if n.saturation == 0 { n.saturation = 1 }
        if n.exposure == 0 { n.exposure = 1 }
        n.angle = try r.float("angle", default: 0)
        n.aspect = try r.float("aspect", default: 1)
        n.minCrop = try r.int("min_crop", default: n.width)
        n.maxCrop = try r.int("max_crop", default: n.width * 2)
        n.blur = try r.int("blur", default: 0)
        n.gaussianNoise = try r.int("gaussian_noise", default: 0)
        n.mixup = try r.int("mixup", default: 0)
        n.cutmix = try r.bool("cutmix")
        n.mosaic = try r.bool("mosaic")
        n.mosaicBound = try r.bool("mosaic_bound")
        n.letterBox = try r.bool("letter_box")
        n.labelSmoothEps = try r.float("label_smooth_eps", default: 0)
        n.resizeStep = try r.int("resize_step", default: 32)
        n.maxChartLoss = try r.float("max_chart_loss")
        n.timeSteps = try r.int("time_steps", default: 1)
        if n.timeSteps != 1, let option = r.option("time_steps") {
            throw r.error(option, "time_steps other than 1 (recurrent networks) is not supported")
        }
        // darknet options that cannot change a CPU run's numbers: GPU memory and precision, display, keys only
        // darknet's GPU build acts on (its CPU build, like swiftnet, ignores them), and pjreddie-era keys.
        r.ignore(["augment_speed", "sequential_subdivisions", "loss_scale", "optimized_memory", "workspace_size_limit_MB",
                  "use_cuda_graph", "try_fix_nan", "seq_scales", "contrastive_jit_flip", "contrastive_color", "attention",
                  "show_receptive_field", "cudnn_half", "center", "rgb"])
        r.notImplemented([
            ("dynamic_minibatch", "rescales the mini-batch with multi-scale training"),
            ("weights_reject_freq", "re-initialises the most similar pair of filters periodically"),
            ("equidistant_point", "zeroes small [yolo] deltas late in training"),
            ("badlabels_rejection_percentage", "drops the truths with the largest deltas as bad labels"),
            ("num_sigmas_reject_badlabels", "drops truths whose deltas are outliers as bad labels"),
            ("contrastive", "duplicates samples in pairs for a [contrastive] layer"),
            ("unsupervised", "trains the classifier without labels"),
            ("track", "loads sequential video frames"),
            ("adversarial_lr", "adds an adversarial input-perturbation pass on GPU"),
        ])
        return n
    }
}
