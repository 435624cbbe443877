import SwiftnetFormat

/// The networks ``ModelZoo`` can write.
public enum ZooNetwork: String, CaseIterable, Sendable {
    /// The YOLOv4 of the Mish paper (PyTorch_YOLOv4's `yolov4-pacsp*.cfg`): CSP-DarkNet-53 backbone, CSP-SPP and
    /// CSP-PANet neck; width and depth scale with ``ZooScale``.
    case yolov4PACSP = "yolov4-pacsp"
    /// The original YOLOv4 (darknet's `yolov4.cfg`): CSP-DarkNet-53 backbone (mish), SPP and PANet neck (leaky).
    case yolov4
    /// darknet's `yolov4-tiny.cfg`: a CSP-style backbone of three stages, two YOLO heads.
    case yolov4Tiny = "yolov4-tiny"
    /// The CSP-DarkNet-53 ImageNet classifier with the "omega" recipe (`csdarknet53-omega.cfg`).
    case csdarknet53
    /// The CSP-ResNeXt-50 ImageNet classifier with the "omega" recipe (`csresnext50-omega.cfg`).
    case csresnext50
    /// swiftnet's demo detector for the synthetic shapes dataset (`cfg/shapes.cfg`).
    case shapes
    /// A scaled-down CSP-DarkNet classifier (omega recipe, mish) for the shape-classification set
    /// (`cfg/csdarknet-shapes.cfg`).
    case csdarknetShapes = "csdarknet-shapes"

    /// Whether the network ends in `[yolo]` layers (the others end in `[softmax]`).
    public var isDetector: Bool {
        switch self {
        case .csdarknet53, .csresnext50, .csdarknetShapes: return false
        default: return true
        }
    }

    /// Class count of the published network (COCO, ImageNet, or the shapes dataset).
    public var defaultClasses: Int {
        switch self {
        case .csdarknet53, .csresnext50: return 1000
        case .shapes: return ShapesDesign.classes
        case .csdarknetShapes: return CSDarknetShapesDesign.classes
        default: return 80
        }
    }

    /// Input side of the published network at `scale`.
    public func defaultSize(scale: ZooScale) -> Int {
        switch self {
        case .yolov4PACSP: return scale == .x ? 640 : 512
        case .yolov4: return 608
        case .yolov4Tiny: return 416
        case .csdarknet53, .csresnext50: return 256
        case .shapes: return ShapesDesign.inputSize
        case .csdarknetShapes: return CSDarknetShapesDesign.inputSize
        }
    }

    /// `batch` and `subdivisions` of the published recipe.
    public var defaultBatch: (batch: Int, subdivisions: Int) {
        switch self {
        case .yolov4PACSP, .yolov4: return (64, 8)
        case .yolov4Tiny: return (64, 1)
        case .csdarknet53, .csresnext50: return (128, 4)
        case .shapes: return (ShapesDesign.batch, 1)
        case .csdarknetShapes: return (CSDarknetShapesDesign.batch, 1)
        }
    }

    /// The published activation of the hidden layers, or nil where it is mixed (yolov4: mish backbone, leaky neck).
    public var defaultActivation: Activation? {
        switch self {
        case .yolov4PACSP, .yolov4Tiny, .shapes: return .leaky
        case .yolov4: return nil
        case .csdarknet53, .csresnext50, .csdarknetShapes: return .mish
        }
    }
}

/// Width/depth scale of ``ZooNetwork/yolov4PACSP`` (default ``l``).
public enum ZooScale: String, CaseIterable, Sendable {
    /// `yolov4-pacsp-s`: half width, one block per stage.
    case s
    /// Not a published size: ¾ width and ¾ depth (rounded up) of `l`.
    case m
    /// `yolov4-pacsp`: the CSP-DarkNet-53 widths and depths.
    case l
    /// `yolov4-pacsp-x`: 1.25× width and depth (rounded up).
    case x
}

/// What ``ModelZoo/cfg(_:_:)`` may change; nil keeps the published value.
public struct ZooOptions: Equatable, Sendable {
    /// Object classes (detectors) or output classes (classifiers).
    public var classes: Int?
    /// Activation of every non-linear layer.
    public var activation: Activation?
    /// Network input width; a multiple of 32.
    public var width: Int?
    /// Network input height; a multiple of 32.
    public var height: Int?
    /// ``ZooNetwork/yolov4PACSP`` only.
    public var scale: ZooScale?
    /// Images per training iteration.
    public var batch: Int?
    /// Passes each iteration's images are split into (1…batch).
    public var subdivisions: Int?

    /// Options; nil keeps the published value.
    public init(classes: Int? = nil, activation: Activation? = nil, width: Int? = nil, height: Int? = nil,
                scale: ZooScale? = nil, batch: Int? = nil, subdivisions: Int? = nil) {
        self.classes = classes
        self.activation = activation
        self.width = width
        self.height = height
        self.scale = scale
        self.batch = batch
        self.subdivisions = subdivisions
    }

    /// Whether every option keeps its published value.
    public var isDefault: Bool { self == ZooOptions() }

    /// The `swiftnet cfg` command line that asks for these options.
    public func commandLine(_ network: ZooNetwork) -> String {
        var words = ["swiftnet", "cfg", network.rawValue]
        if let scale { words += ["--scale", scale.rawValue] }
        if let activation { words += ["--activation", activation.rawValue] }
        if let classes { words += ["--classes", String(classes)] }
        if let width { words += ["--width", String(width)] }
        if let height { words += ["--height", String(height)] }
        if let batch { words += ["--batch", String(batch)] }
        if let subdivisions { words += ["--subdivisions", String(subdivisions)] }
        return words.joined(separator: " ")
    }
}

/// Writes darknet cfg files for published network families, layer by layer (see ``NetworkBuilder``).
///
/// The output uses darknet's own keys only, so darknet reads it as well as swiftnet. Training settings follow each
/// family's published recipe; detectors train for `max(6000, 2000 × classes)` iterations with the learning rate
/// dropping ×0.1 at 80 % and 90 % (darknet's advice for custom data), except the shapes demo detector, whose schedule
/// is sized for a CPU.
public enum ModelZoo {
    /// Activations `--activation` accepts: the element-wise non-linearities darknet's convolution and shortcut layers
    /// compute on both CPU and GPU.
    public static let hiddenActivations: [Activation] = [.mish, .leaky, .swish, .hardMish, .relu, .elu, .selu, .relie, .ramp, .tanh, .logistic]

    /// The cfg text of `network` with `options` applied.
    ///
    /// - Throws: ``SwiftnetError/invalid(_:)`` for an option out of range or one the network does not take.
    public static func cfg(_ network: ZooNetwork, _ options: ZooOptions = ZooOptions()) throws -> String {
        try validate(network, options)
        let settings = ZooSettings(network: network, options: options)
        switch network {
        case .yolov4PACSP: return yolov4PACSP(settings)
        case .yolov4: return yolov4(settings)
        case .yolov4Tiny: return yolov4Tiny(settings)
        case .csdarknet53: return csdarknet53(settings)
        case .csresnext50: return csresnext50(settings)
        case .shapes: return shapes(settings)
        case .csdarknetShapes: return csdarknetShapes(settings)
        }
    }

    /// Checks `options` against `network` without building anything.
    public static func validate(_ network: ZooNetwork, _ options: ZooOptions) throws {
        let minClasses = network.isDetector ? 1 : 2
        if let classes = options.classes, !(minClasses...100_000).contains(classes) {
            throw SwiftnetError.invalid("classes must be \(minClasses)…100000 for \(network.rawValue), got \(classes)")
        }
        for (name, value) in [("width", options.width), ("height", options.height)] {
            if let value, !(32...8192).contains(value) || value % 32 != 0 {
                throw SwiftnetError.invalid("\(name) must be a multiple of 32 in 32…8192, got \(value)")
            }
        }
        if let batch = options.batch, batch < 1 { throw SwiftnetError.invalid("batch must be at least 1, got \(batch)") }
        if let subdivisions = options.subdivisions {
            let batch = options.batch ?? network.defaultBatch.batch
            guard (1...batch).contains(subdivisions) else {
                throw SwiftnetError.invalid("subdivisions must be 1…batch (\(batch)), got \(subdivisions)")
            }
        }
        if options.scale != nil && network != .yolov4PACSP {
            throw SwiftnetError.invalid("scale applies to yolov4-pacsp only")
        }
        if let activation = options.activation, !hiddenActivations.contains(activation) {
            throw SwiftnetError.invalid("activation '\(activation.rawValue)' is not offered for hidden layers; use one of "
                + hiddenActivations.map(\.rawValue).joined(separator: ", "))
        }
    }

    /// darknet's advice for a detector's training length: `2000 × classes` iterations, at least 6000, with the learning
    /// rate steps at 80 % and 90 %.
    public static func detectorSchedule(classes: Int) -> (maxBatches: Int, steps: [Int]) {
        let maxBatches = max(6000, 2000 * classes)
        return (maxBatches, [maxBatches * 8 / 10, maxBatches * 9 / 10])
    }

    /// The COCO anchors of YOLOv4 (9 anchors, three per head).
    public static let cocoAnchors = [Anchor(12, 16), Anchor(19, 36), Anchor(40, 28), Anchor(36, 75), Anchor(76, 55),
                                     Anchor(72, 146), Anchor(142, 110), Anchor(192, 243), Anchor(459, 401)]

    /// The COCO anchors of YOLOv4-tiny (6 anchors).
    public static let cocoTinyAnchors = [Anchor(10, 14), Anchor(23, 27), Anchor(37, 58), Anchor(81, 82), Anchor(135, 169),
                                         Anchor(344, 319)]
}

/// Options with the published values filled in, as the family builders use them.
struct ZooSettings {
    var network: ZooNetwork
    var options: ZooOptions
    var classes: Int
    var width: Int
    var height: Int
    var scale: ZooScale
    var batch: Int
    var subdivisions: Int

    init(network: ZooNetwork, options: ZooOptions) {
        self.network = network
        self.options = options
        scale = options.scale ?? .l
        classes = options.classes ?? network.defaultClasses
        width = options.width ?? network.defaultSize(scale: scale)
        height = options.height ?? network.defaultSize(scale: scale)
        batch = options.batch ?? network.defaultBatch.batch
        // A smaller --batch than the published subdivisions gets one image per pass.
        subdivisions = options.subdivisions ?? min(network.defaultBatch.subdivisions, batch)
    }

    /// The activation of layers that use `published` in the original network.
    func activation(_ published: Activation) -> Activation { options.activation ?? published }

    /// A short name of the variant, e.g. `yolov4-pacsp-x-mish`.
    var variantName: String {
        var name = network.rawValue
        if !network.isDetector && network != .csdarknetShapes { name += "-omega" }
        if network == .yolov4PACSP && scale != .l { name += "-\(scale.rawValue)" }
        if let activation = options.activation, activation != network.defaultActivation { name += "-\(activation.rawValue)" }
        return name
    }

    /// The input size as comments write it.
    var inputSize: String { "\(width)×\(height)" }

    /// `batch`, `subdivisions`, `width`, `height`, `channels`: the first lines of every `[net]`.
    var netInput: CfgOptionList {
        ["batch": CfgValue(batch), "subdivisions": CfgValue(subdivisions), "width": CfgValue(width),
         "height": CfgValue(height), "channels": 3]
    }

    /// The `[net]` schedule of a detector: burn-in, then steps at 80 % and 90 % of `max(6000, 2000 × classes)`.
    func detectorSchedule(learningRate: CfgValue) -> CfgOptionList {
        let schedule = ModelZoo.detectorSchedule(classes: classes)
        return ["learning_rate": learningRate, "burn_in": 1000, "max_batches": CfgValue(schedule.maxBatches),
                "policy": "steps", "steps": CfgValue(schedule.steps.map(String.init).joined(separator: ",")),
                "scales": ".1,.1"]
    }

    /// Header lines shared by the generated files: what it is, how it was made, what to adjust.
    func header(_ description: [String], layers: Int) -> [String] {
        var lines = ["\(variantName): " + description[0]] + description.dropFirst()
        let what = network.isDetector ? "\(classes) classes" : "\(classes) output classes"
        lines.append("\(what), \(inputSize) input, \(layers) layers.")
        lines.append("Generated by: \(options.commandLine(network))")
        if network.isDetector {
            lines.append("Anchors are the published COCO ones; fit them to your data with")
            lines.append("  swiftnet calc-anchors --data DATA --cfg THIS.cfg --write")
        }
        return lines
    }
}
