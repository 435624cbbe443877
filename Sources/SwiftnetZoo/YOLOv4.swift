/// Widths and depths of one YOLOv4-pacsp size.
struct PACSPScale {
    /// Filters of the five backbone stages (stem: 32).
    var widths: [Int]
    /// Residual blocks per stage; the first stage is a plain residual stage, the others are CSP stages.
    var blocks: [Int]
    /// Hidden 1×1 filters of the first stage's residual blocks.
    var firstHidden: Int
    /// 1×1/3×3 pairs in each neck CSP block.
    var neckDepth: Int

    static func of(_ scale: ZooScale) -> PACSPScale {
        switch scale {
        case .s: return PACSPScale(widths: [32, 64, 128, 256, 512], blocks: [1, 1, 1, 1, 1], firstHidden: 32, neckDepth: 1)
        case .m: return PACSPScale(widths: [48, 96, 192, 384, 768], blocks: [1, 2, 6, 6, 3], firstHidden: 24, neckDepth: 2)
        case .l: return PACSPScale(widths: [64, 128, 256, 512, 1024], blocks: [1, 2, 8, 8, 4], firstHidden: 32, neckDepth: 2)
        case .x: return PACSPScale(widths: [80, 160, 320, 640, 1280], blocks: [1, 3, 10, 10, 5], firstHidden: 40, neckDepth: 3)
        }
    }
}

extension ModelZoo {
    /// Colour augmentation of the YOLOv4 recipes.
    static let yoloAugmentation: CfgOptionList = ["angle": 0, "saturation": "1.5", "exposure": "1.5", "hue": ".1"]

    /// `[yolo]` training keys of YOLOv4: CIoU loss, several anchors per object above IoU 0.213, greedy NMS, and the
    /// grid-sensitivity fix `scale_x_y`.
    static func yolov4Keys(scaleXY: String, random: Bool, maxDelta: Bool) -> CfgOptionList {
        var keys: CfgOptionList = ["jitter": ".3", "ignore_thresh": ".7", "truth_thresh": 1]
        if random { keys.append("random", 1) }
        keys = keys + ["scale_x_y": CfgValue(scaleXY), "iou_thresh": "0.213", "cls_normalizer": "1.0", "iou_normalizer": "0.07",
                       "iou_loss": "ciou", "nms_kind": "greedynms", "beta_nms": "0.6"]
        if maxDelta { keys.append("max_delta", 5) }
        return keys
    }

    /// YOLOv4 of the Mish paper: a width/depth-scaled CSP-DarkNet-53, CSP-SPP, CSP-PANet, three heads.
    static func yolov4PACSP(_ s: ZooSettings) -> String {
        let scale = PACSPScale.of(s.scale)
        let (w, depth) = (scale.widths, scale.neckDepth)
        var b = NetworkBuilder(activation: s.activation(.leaky))
        let schedule = s.detectorSchedule(learningRate: "0.00261")
        b.net([s.netInput + ["momentum": "0.949", "decay": "0.0005"] + yoloAugmentation, schedule, ["mosaic": 1]])

        b.comment("Backbone: CSP-DarkNet-53 scaled to \(w.map(String.init).joined(separator: "/")) filters")
        b.conv(32, size: 3)
        b.comment("Downsample to \(w[0]) filters; \(scale.blocks[0]) residual block")
        b.conv(w[0], size: 3, stride: 2)
        for _ in 0..<scale.blocks[0] { b.residual(hidden: scale.firstHidden, filters: w[0]) }
        var stages: [Int] = []
        for (filters, blocks) in zip(w.dropFirst(), scale.blocks.dropFirst()) {
            stages.append(b.cspStage(filters: filters, blocks: blocks))
        }

        b.comment("Neck: CSP-SPP on the stride-32 output")
        let p5 = b.cspSPP(filters: w[4] / 2, depth: depth)
        b.comment("CSP-PANet top-down to stride 16, with backbone layer \(stages[2])")
        let p4 = b.cspTopDown(lateral: stages[2], filters: w[3] / 2, depth: depth)
        b.comment("CSP-PANet top-down to stride 8, with backbone layer \(stages[1])")
        let p3 = b.cspTopDown(lateral: stages[1], filters: w[2] / 2, depth: depth)

        let keys = yolov4Keys(scaleXY: "1.05", random: true, maxDelta: false)
        b.comment("YOLO head, stride 8")
        b.yoloHead(filters: w[2], mask: [0, 1, 2], anchors: cocoAnchors, classes: s.classes, keys)
        b.comment("CSP-PANet bottom-up to stride 16")
        let n4 = b.cspBottomUp(from: p3, into: p4, filters: w[3] / 2, depth: depth)
        b.yoloHead(filters: w[3], mask: [3, 4, 5], anchors: cocoAnchors, classes: s.classes, keys)
        b.comment("CSP-PANet bottom-up to stride 32")
        b.cspBottomUp(from: n4, into: p5, filters: w[4] / 2, depth: depth)
        b.yoloHead(filters: w[4], mask: [6, 7, 8], anchors: cocoAnchors, classes: s.classes, keys)

        b.header(s.header(["the YOLOv4 of the Mish paper (WongKinYiu/PyTorch_YOLOv4 yolov4-pacsp):",
                           "CSP-DarkNet-53 backbone (scale \(s.scale.rawValue)), CSP-SPP, CSP-PANet, three YOLO heads;",
                           "\(b.activation.rawValue) activations, CIoU loss, mosaic."], layers: b.last + 1))
        return b.text
    }

    /// The original YOLOv4: CSP-DarkNet-53 (mish), SPP, PANet (leaky), three heads.
    static func yolov4(_ s: ZooSettings) -> String {
        var b = NetworkBuilder(activation: s.activation(.mish))
        let schedule = s.detectorSchedule(learningRate: "0.0013")
        b.net([s.netInput + ["momentum": "0.949", "decay": "0.0005"] + yoloAugmentation, schedule, ["mosaic": 1]])

        let backbone = b.cspDarknet53()
        b.activation = s.activation(.leaky)
        b.comment("Neck: SPP on the stride-32 output")
        b.convSet(filters: 512, count: 3)
        b.spp()
        let p5 = b.convSet(filters: 512, count: 3)
        b.comment("PANet top-down to stride 16, with backbone layer \(backbone.stride16)")
        let p4 = b.topDown(lateral: backbone.stride16, filters: 256)
        b.comment("PANet top-down to stride 8, with backbone layer \(backbone.stride8)")
        let p3 = b.topDown(lateral: backbone.stride8, filters: 128)

        b.comment("YOLO head, stride 8")
        b.yoloHead(filters: 256, mask: [0, 1, 2], anchors: cocoAnchors, classes: s.classes,
                   yolov4Keys(scaleXY: "1.2", random: false, maxDelta: true))
        b.comment("PANet bottom-up to stride 16")
        let n4 = b.bottomUp(from: p3, into: p4, filters: 256)
        b.yoloHead(filters: 512, mask: [3, 4, 5], anchors: cocoAnchors, classes: s.classes,
                   yolov4Keys(scaleXY: "1.1", random: false, maxDelta: true))
        b.comment("PANet bottom-up to stride 32")
        b.bottomUp(from: n4, into: p5, filters: 512)
        // Multi-scale training is read from the last [yolo] only; the published cfg sets it there alone.
        b.yoloHead(filters: 1024, mask: [6, 7, 8], anchors: cocoAnchors, classes: s.classes,
                   yolov4Keys(scaleXY: "1.05", random: true, maxDelta: true))

        let activations = s.options.activation.map { "\($0.rawValue) activations" } ?? "mish backbone, leaky neck"
        b.header(s.header(["YOLOv4 (AlexeyAB/darknet yolov4.cfg): CSP-DarkNet-53 backbone, SPP, PANet, three YOLO heads;",
                           "\(activations), CIoU loss, mosaic."], layers: b.last + 1))
        return b.text
    }

    /// YOLOv4-tiny: three stages of split/concat blocks with max-pool downsampling, two heads.
    static func yolov4Tiny(_ s: ZooSettings) -> String {
        var b = NetworkBuilder(activation: s.activation(.leaky))
        let schedule = s.detectorSchedule(learningRate: "0.00261")
        b.net([s.netInput + ["momentum": "0.9", "decay": "0.0005"] + yoloAugmentation, schedule])

        b.comment("Backbone")
        b.conv(32, size: 3, stride: 2)
        b.conv(64, size: 3, stride: 2)
        b.tinyStage(filters: 64)
        b.tinyStage(filters: 128)
        let stride16 = b.tinyStage(filters: 256)
        b.conv(512, size: 3)

        let keys: CfgOptionList = [
            "jitter": ".3", "scale_x_y": "1.05", "cls_normalizer": "1.0", "iou_normalizer": "0.07", "iou_loss": "ciou",
            "ignore_thresh": ".7", "truth_thresh": 1, "random": 0, "resize": "1.5", "nms_kind": "greedynms", "beta_nms": "0.6",
        ]
        b.comment("YOLO head, stride 32")
        let p5 = b.conv(256, size: 1)
        // The published masks leave anchor 0 unused; calc-anchors --write assigns all anchors.
        b.yoloHead(filters: 512, mask: [3, 4, 5], anchors: cocoTinyAnchors, classes: s.classes, keys)
        b.comment("YOLO head, stride 16")
        b.route(.layer(p5))
        b.conv(128, size: 1)
        let upsampled = b.upsample()
        b.route(.layer(upsampled), .absolute(stride16))
        b.yoloHead(filters: 256, mask: [1, 2, 3], anchors: cocoTinyAnchors, classes: s.classes, keys)

        b.header(s.header(["YOLOv4-tiny (AlexeyAB/darknet yolov4-tiny.cfg):",
                           "a 3-stage split/concat backbone with max-pool downsampling, two YOLO heads;",
                           "\(b.activation.rawValue) activations, CIoU loss."], layers: b.last + 1))
        return b.text
    }
}

extension NetworkBuilder {
    /// A YOLOv4-tiny stage: a 3×3 convolution, two 3×3 convolutions on its second channel half, their concatenation
    /// fused by a 1×1 convolution, concatenated with the stage input convolution and max-pooled 2×2/2.
    ///
    /// - Returns: the index of the 1×1 fusion (the head routes from the last stage's).
    @discardableResult
    public mutating func tinyStage(filters: Int) -> Int {
        let full = conv(filters, size: 3)
        route(.layer(full), groups: 2, groupID: 1)
        let first = conv(filters / 2, size: 3)
        let second = conv(filters / 2, size: 3)
        route(.layer(second), .layer(first))
        let fused = conv(filters, size: 1)
        route(.layer(full), .layer(fused))
        maxpool(size: 2, stride: 2)
        return fused
    }
}
