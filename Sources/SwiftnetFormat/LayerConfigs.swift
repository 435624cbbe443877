/// `[convolutional]` / `[conv]` (spec §1.8.1).
public struct ConvolutionalConfig: Equatable, Sendable {
    public var filters = 1
    public var size = 1
    public var strideX = 1
    public var strideY = 1
    /// Zero padding per side: `size/2` when `pad=1`, else `padding`.
    public var padding = 0
    public var groups = 1
    public var dilation = 1
    public var activation: Activation = .logistic
    public var batchNormalize = false
    /// Transpose the weight matrix on load (`flipped=1`).
    public var flipped = false

    public init() {}

    static func parse(_ r: inout OptionReader) throws -> ConvolutionalConfig {
        var c = ConvolutionalConfig()
        c.filters = try r.int("filters", default: 1)
        c.size = try r.int("size", default: 1)
        let stride = try r.int("stride", default: 1)
        let sx = try r.int("stride_x", default: -1)
        let sy = try r.int("stride_y", default: -1)
        c.strideX = sx < 1 ? stride : sx
        c.strideY = sy < 1 ? stride : sy
        let pad = try r.int("pad", default: 0)
        let padding = try r.int("padding", default: 0)
        c.padding = pad != 0 ? c.size / 2 : padding
        c.groups = max(1, try r.int("groups", default: 1))
        c.dilation = try r.int("dilation", default: 1)
        if c.size == 1 { c.dilation = 1 }
        c.activation = try Activation.parse(&r, default: .logistic)
        let bn = try r.int("batch_normalize", default: 0)
        let cbn = try r.int("cbn", default: 0)
        c.batchNormalize = bn != 0 || cbn != 0
        c.flipped = try r.bool("flipped")
        guard c.filters >= 1 else { throw r.sectionError("filters must be at least 1") }
        guard c.size >= 1 else { throw r.sectionError("size must be at least 1") }
        guard c.strideX >= 1, c.strideY >= 1 else { throw r.sectionError("stride must be at least 1") }
        guard c.dilation >= 1 else { throw r.sectionError("dilation must be at least 1") }
        guard c.padding >= 0 else { throw r.sectionError("padding must not be negative") }
        guard c.filters % c.groups == 0 else { throw r.sectionError("filters=\(c.filters) is not divisible by groups=\(c.groups)") }
        if c.dilation > 1 && pad == 0 {
            throw r.sectionError("dilation>1 needs pad=1 (darknet's im2col would produce fewer columns than the layer reserves)")
        }
        try rejectUnsupported(&r, ["antialiasing", "share_index", "binary", "xnor", "bin_output", "dot", "sway", "rotate",
                                   "stretch", "stretch_sway", "coordconv", "assisted_excitation", "deform"])
        r.ignore(["angle", "stream", "wait_stream"])
        r.notImplemented([("grad_centr", "gradient centralisation of the weight updates on GPU"),
                          ("reverse", "an experimental rewrite of the weight updates on GPU")])
        return c
    }
}

/// `[connected]` (spec §1.8.10).
public struct ConnectedConfig: Equatable, Sendable {
    public var outputs = 1
    public var activation: Activation = .logistic
    public var batchNormalize = false

    static func parse(_ r: inout OptionReader) throws -> ConnectedConfig {
        var c = ConnectedConfig()
        c.outputs = try r.int("output", default: 1)
        c.activation = try Activation.parse(&r, default: .logistic)
        c.batchNormalize = try r.bool("batch_normalize")
        guard c.outputs >= 1 else { throw r.sectionError("output must be at least 1") }
        return c
    }
}

/// `[maxpool]` and `[local_avgpool]` geometry (spec §1.8.2, §1.8.3).
public struct PoolConfig: Equatable, Sendable {
    public var size = 1
    public var strideX = 1
    public var strideY = 1
    /// Total padding, split `padding/2` before and the rest after.
    public var padding = 0
    /// `maxpool_depth=1`: max over channel groups instead of space.
    public var maxpoolDepth = false
    public var outChannels = 1

    static func parse(_ r: inout OptionReader, maxpool: Bool) throws -> PoolConfig {
        var p = PoolConfig()
        let stride = try r.int("stride", default: 1)
        p.strideX = try r.int("stride_x", default: stride)
        p.strideY = try r.int("stride_y", default: stride)
        p.size = try r.int("size", default: stride)
        p.padding = try r.int("padding", default: p.size - 1)
        guard p.size >= 1, p.strideX >= 1, p.strideY >= 1 else { throw r.sectionError("size and stride must be at least 1") }
        guard p.padding >= 0 else { throw r.sectionError("padding must not be negative") }
        if maxpool {
            p.maxpoolDepth = try r.bool("maxpool_depth")
            p.outChannels = try r.int("out_channels", default: 1)
            guard p.outChannels >= 1 else { throw r.sectionError("out_channels must be at least 1") }
            try rejectUnsupported(&r, ["antialiasing", "maxpool_zero_nonmax"])
        }
        return p
    }
}

/// `[route]` (spec §1.8.5). `layers` are absolute indices.
public struct RouteConfig: Equatable, Sendable {
    public var layers: [Int] = []
    public var groups = 1
    public var groupID = 0
}

/// Weighting of `[shortcut]` inputs.
public enum ShortcutWeights: String, Sendable {
    case none, perFeature = "per_feature", perChannel = "per_channel"
}

/// Normalisation of `[shortcut]` weights.
public enum ShortcutNormalization: String, Sendable {
    case none, relu, softmax
}

/// `[shortcut]` (spec §1.8.6). `from` are absolute indices.
public struct ShortcutConfig: Equatable, Sendable {
    public var from: [Int] = []
    public var activation: Activation = .linear
    public var weights: ShortcutWeights = .none
    public var normalization: ShortcutNormalization = .none
}

/// `[upsample]` (spec §1.8.7); a negative stride down-samples by summing.
public struct UpsampleConfig: Equatable, Sendable {
    public var stride = 2
    public var scale: Float = 1
}

/// Box losses of `[yolo] iou_loss`.
public enum IoULoss: String, CaseIterable, Sendable {
    case mse, iou, giou, diou, ciou
}

/// IoU variants (`iou_thresh_kind`).
public enum IoUKind: String, CaseIterable, Sendable {
    case iou, giou, diou, ciou
}

/// Non-maximum-suppression kinds of `[yolo] nms_kind` (spec §4.5).
public enum NMSKind: String, CaseIterable, Sendable {
    case `default`, greedynms, diounms
}

/// `[yolo]` (spec §1.8.8).
public struct YoloConfig: Equatable, Sendable {
    public var classes = 20
    public var total = 1
    public var mask: [Int] = []
    /// Anchor sizes in network-input pixels, `total` pairs.
    public var anchors: [Float] = []
    public var maxBoxes = 200
    public var jitter: Float = 0.2
    public var resize: Float = 1
    public var random: Float = 0
    public var ignoreThresh: Float = 0.5
    public var truthThresh: Float = 1
    public var iouThresh: Float = 1
    public var iouThreshKind: IoUKind = .iou
    public var scaleXY: Float = 1
    public var newCoords = false
    public var iouLoss: IoULoss = .mse
    public var iouNormalizer: Float = 0.75
    public var objNormalizer: Float = 1
    public var clsNormalizer: Float = 1
    public var deltaNormalizer: Float = 1
    public var maxDelta: Float = .greatestFiniteMagnitude
    public var labelSmoothEps: Float = 0
    public var objectnessSmooth = false
    public var countersPerClass: [Int]? = nil
    public var focalLoss = false
    public var nmsKind: NMSKind = .default
    public var betaNMS: Float = 0.6

    static func parse(_ r: inout OptionReader) throws -> YoloConfig {
        var y = YoloConfig()
        y.classes = try r.int("classes", default: 20)
        y.total = try r.int("num", default: 1)
        guard y.classes >= 1 else { throw r.sectionError("classes must be at least 1") }
        guard y.total >= 1 else { throw r.sectionError("num must be at least 1") }
        y.mask = try r.intList("mask") ?? Array(0..<y.total)
        if let bad = y.mask.first(where: { $0 < 0 || $0 >= y.total }) {
            throw r.sectionError("mask index \(bad) is outside the \(y.total) anchors (num=\(y.total))")
        }
        if let option = r.option("anchors") {
            let values = try r.floatListValue(option)
            guard values.count >= 2 * y.total else {
                throw r.error(option, "\(values.count) values for num=\(y.total) anchors (need \(2 * y.total))")
            }
            y.anchors = Array(values.prefix(2 * y.total))
            if let bad = y.anchors.first(where: { !($0 > 0) || !$0.isFinite }) {
                throw r.error(option, "anchor size \(bad) is not a positive number")
            }
        } else {
            y.anchors = Array(repeating: 0.5, count: 2 * y.total)
        }
        y.maxBoxes = try r.int("max", default: 200)
        y.jitter = try r.float("jitter", default: 0.2)
        y.resize = try r.float("resize", default: 1)
        y.random = try r.float("random", default: 0)
        y.ignoreThresh = try r.float("ignore_thresh", default: 0.5)
        y.truthThresh = try r.float("truth_thresh", default: 1)
        y.iouThresh = try r.float("iou_thresh", default: 1)
        y.iouThreshKind = try parseEnum(&r, "iou_thresh_kind", default: .iou)
        y.scaleXY = try r.float("scale_x_y", default: 1)
        y.newCoords = try r.bool("new_coords")
        y.iouLoss = try parseEnum(&r, "iou_loss", default: .mse)
        y.iouNormalizer = try r.float("iou_normalizer", default: 0.75)
        y.objNormalizer = try r.float("obj_normalizer", default: 1)
        y.clsNormalizer = try r.float("cls_normalizer", default: 1)
        y.deltaNormalizer = try r.float("delta_normalizer", default: 1)
        y.maxDelta = try r.float("max_delta", default: .greatestFiniteMagnitude)
        y.labelSmoothEps = try r.float("label_smooth_eps", default: 0)
        y.objectnessSmooth = try r.bool("objectness_smooth")
        y.countersPerClass = try r.intList("counters_per_class")
        if let counters = y.countersPerClass, counters.count != y.classes {
            throw r.sectionError("counters_per_class has \(counters.count) values for classes=\(y.classes)")
        }
        y.focalLoss = try r.bool("focal_loss")
        y.nmsKind = try parseEnum(&r, "nms_kind", default: .default)
        y.betaNMS = try r.float("beta_nms", default: 0.6)
        r.ignore(["show_details", "embedding_layer", "track_history_size", "sim_thresh", "dets_for_track",
                  "dets_for_show", "track_ciou_norm", "embedding_filters"])
        r.notImplemented([("map", "remaps the truths' class ids through a file in the loss")])
        return y
    }
}

/// `[region]` (YOLOv2 output layer).
public struct RegionConfig: Equatable, Sendable {
    public var classes = 20
    public var coords = 4
    public var total = 1
    /// Anchor sizes in grid cells, `total` pairs.
    public var anchors: [Float] = []
    public var softmax = false
    public var jitter: Float = 0.2
    public var random: Float = 0
    public var thresh: Float = 0.5

    static func parse(_ r: inout OptionReader) throws -> RegionConfig {
        var g = RegionConfig()
        g.classes = try r.int("classes", default: 20)
        g.coords = try r.int("coords", default: 4)
        g.total = try r.int("num", default: 1)
        guard g.coords == 4 else { throw r.sectionError("only coords=4 is supported") }
        guard g.classes >= 1, g.total >= 1 else { throw r.sectionError("classes and num must be at least 1") }
        if let option = r.option("anchors") {
            let values = try r.floatListValue(option)
            guard values.count >= 2 * g.total else {
                throw r.error(option, "\(values.count) values for num=\(g.total) anchors (need \(2 * g.total))")
            }
            g.anchors = Array(values.prefix(2 * g.total))
        } else {
            g.anchors = Array(repeating: 0.5, count: 2 * g.total)
        }
        g.softmax = try r.bool("softmax")
        g.jitter = try r.float("jitter", default: 0.2)
        g.random = try r.float("random", default: 0)
        g.thresh = try r.float("thresh", default: 0.5)
        try rejectUnsupported(&r, ["tree", "map"])
        r.ignore(["bias_match", "rescore", "absolute", "object_scale", "noobject_scale", "class_scale", "coord_scale",
                  "log", "sqrt", "max", "focal_loss"])
        return g
    }
}

/// `[softmax]` (spec §1.8.9).
public struct SoftmaxConfig: Equatable, Sendable {
    public var groups = 1
    public var temperature: Float = 1
    public var spatial = false
    public var noloss = false

    static func parse(_ r: inout OptionReader) throws -> SoftmaxConfig {
        var s = SoftmaxConfig()
        s.groups = try r.int("groups", default: 1)
        s.temperature = try r.float("temperature", default: 1)
        s.spatial = try r.bool("spatial")
        s.noloss = try r.bool("noloss")
        guard s.groups >= 1 else { throw r.sectionError("groups must be at least 1") }
        guard s.temperature != 0 else { throw r.sectionError("temperature must not be 0") }
        try rejectUnsupported(&r, ["tree"])
        return s
    }
}

/// `[dropout]` (spec §1.8.11), with DropBlock (`dropblock=1`): square blocks instead of single elements.
public struct DropoutConfig: Equatable, Sendable {
    public var probability: Float = 0.2
    public var dropblock = false
    /// Block side as a share of the feature map's width and height (`dropblock_size_rel`); 0 when `abs` is used.
    public var dropblockSizeRel: Float = 0
    /// Block side in cells (`dropblock_size_abs`, read as darknet reads it: a number truncated to an integer).
    public var dropblockSizeAbs = 0

    static func parse(_ r: inout OptionReader) throws -> DropoutConfig {
        var d = DropoutConfig()
        d.probability = try r.float("probability", default: 0.2)
        d.dropblock = try r.bool("dropblock")
        d.dropblockSizeRel = try r.float("dropblock_size_rel", default: 0)
        let abs = try r.float("dropblock_size_abs", default: 0)
        guard d.probability >= 0, d.probability < 1 else { throw r.sectionError("probability must be in [0, 1)") }
        guard abs >= 0, abs < 1_000_000, d.dropblockSizeRel >= 0, d.dropblockSizeRel <= 1 else {
            throw r.sectionError("dropblock_size_abs must be ≥ 0 and dropblock_size_rel in [0, 1]")
        }
        d.dropblockSizeAbs = Int(abs)
        // darknet: with neither size a block is 7 cells; with both, the absolute size wins.
        if d.dropblock && d.dropblockSizeRel == 0 && d.dropblockSizeAbs == 0 { d.dropblockSizeAbs = 7 }
        if d.dropblockSizeRel > 0 && d.dropblockSizeAbs > 0 { d.dropblockSizeRel = 0 }
        return d
    }
}

/// `[reorg]` (legacy) and `[reorg3d]` (spec §1.8.13).
public struct ReorgConfig: Equatable, Sendable {
    public var stride = 1
    public var reverse = false

    static func parse(_ r: inout OptionReader) throws -> ReorgConfig {
        var g = ReorgConfig()
        g.stride = try r.int("stride", default: 1)
        g.reverse = try r.bool("reverse")
        guard g.stride >= 1 else { throw r.sectionError("stride must be at least 1") }
        try rejectUnsupported(&r, ["flatten", "extra"])
        return g
    }
}

/// `[sam]` (spec §1.8.12).
public struct SamConfig: Equatable, Sendable {
    public var from = 0
    public var activation: Activation = .linear
}

/// `[scale_channels]` (spec §1.8.12).
public struct ScaleChannelsConfig: Equatable, Sendable {
    public var from = 0
    public var scaleWH = false
    public var activation: Activation = .linear
}

/// Error kinds of `[cost]` (spec §1.8.14).
public enum CostType: String, CaseIterable, Sendable {
    case sse, masked, smooth
}

/// `[cost]`.
public struct CostConfig: Equatable, Sendable {
    public var type: CostType = .sse
    public var scale: Float = 1
    public var ratio: Float = 0

    static func parse(_ r: inout OptionReader) throws -> CostConfig {
        var c = CostConfig()
        c.type = try parseEnum(&r, "type", default: .sse)
        c.scale = try r.float("scale", default: 1)
        c.ratio = try r.float("ratio", default: 0)
        r.ignore(["noobject_scale", "thresh"])
        return c
    }
}

/// Keys accepted by every layer section (spec §1.6).
public struct CommonLayerOptions: Equatable, Sendable {
    /// Multiplier of the global learning rate.
    public var learningRateScale: Float = 1
    public var stopBackward = false
    public var onlyForward = false
    public var dontUpdate = 0
    /// Skip this layer's updates while `iteration < burnin_update × burn_in` (gradients keep accumulating).
    public var burninUpdate = 0
    public var trainOnlyBN = false
    /// The weights file does not contain this layer's record.
    public var dontLoad = false
    /// The weights file does not contain this conv layer's batch-norm triplet.
    public var dontLoadScales = false
    public var clip: Float = 0

    static func parse(_ r: inout OptionReader) throws -> CommonLayerOptions {
        var c = CommonLayerOptions()
        c.learningRateScale = try r.float("learning_rate", default: 1)
        c.stopBackward = try r.bool("stopbackward")
        c.onlyForward = try r.bool("onlyforward")
        c.dontUpdate = try r.int("dont_update", default: 0)
        c.burninUpdate = try r.int("burnin_update", default: 0)
        guard c.burninUpdate >= 0 else { throw r.sectionError("burnin_update must not be negative") }
        c.trainOnlyBN = try r.bool("train_only_bn")
        c.dontLoad = try r.bool("dontload")
        c.dontLoadScales = try r.bool("dontloadscales")
        c.clip = try r.float("clip", default: 0)
        return c
    }
}

extension OptionReader {
    /// Parses an option already looked up as a float list.
    mutating func floatListValue(_ option: CfgOption) throws -> [Float] {
        var copy = OptionReader(path: path, section: CfgSection(name: section.name, line: section.line, options: [option]))
        return try copy.floatList(option.key) ?? []
    }
}

func parseEnum<E: RawRepresentable & CaseIterable>(_ r: inout OptionReader, _ key: String, default value: E) throws -> E where E.RawValue == String {
    guard let option = r.option(key) else { return value }
    if let v = E(rawValue: option.value) { return v }
    throw r.error(option, "unknown value '\(option.value)'; known: \(E.allCases.map(\.rawValue).joined(separator: ", "))")
}

/// Options darknet knows but swiftnet does not implement: refused when set to anything but 0.
func rejectUnsupported(_ r: inout OptionReader, _ keys: [String]) throws {
    for key in keys {
        guard let option = r.option(key) else { continue }
        if option.value != "0" {
            throw r.error(option, "is not supported by swiftnet")
        }
    }
}
