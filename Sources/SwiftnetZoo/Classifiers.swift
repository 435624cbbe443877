import SwiftnetFormat

extension ModelZoo {
    /// The "omega" ImageNet recipe of the CSPNet classifiers: label smoothing, CutMix and mosaic, poly schedule with
    /// burn-in, crops of ½–1¾ of the input side, angle/aspect/colour jitter.
    static func omegaNet(_ s: ZooSettings) -> [CfgOptionList] {
        [s.netInput + ["min_crop": CfgValue(s.width / 2), "max_crop": CfgValue(s.width * 7 / 4)],
         ["label_smooth_eps": "0.1", "mosaic": 1, "cutmix": 1],
         ["burn_in": 1000, "learning_rate": "0.1", "policy": "poly", "power": 4, "max_batches": 1_200_000,
          "momentum": "0.9", "decay": "0.0005"],
         ["angle": 7, "hue": ".1", "saturation": ".75", "exposure": ".75", "aspect": ".75"]]
    }

    /// CSP-DarkNet-53 with a global-average-pool classifier.
    static func csdarknet53(_ s: ZooSettings) -> String {
        var b = NetworkBuilder(activation: s.activation(.mish))
        b.net(omegaNet(s))
        b.cspDarknet53()
        b.classifier(classes: s.classes)
        b.header(s.header(["CSP-DarkNet-53 classifier (darknet csdarknet53-omega.cfg):",
                           "\(b.activation.rawValue) activations, label smoothing, CutMix/mosaic, poly schedule."],
                          layers: b.last + 1))
        return b.text
    }

    /// CSP-ResNeXt-50: a 7×7/2 stem and max-pool, four CSP stages of ResNeXt blocks (cardinality 32), classifier.
    static func csresnext50(_ s: ZooSettings) -> String {
        let act = s.activation(.mish)
        var b = NetworkBuilder(activation: act)
        b.net(omegaNet(s))

        b.comment("CSP-ResNeXt-50")
        b.conv(64, size: 7, stride: 2)
        b.maxpool(size: 2, stride: 2)
        // (filters, blocks, second part's first 1×1, activation of the two splitting 1×1 convolutions). The published
        // network leaves the splits of stages 2 and 3 linear; stage 1 (after the max-pool) has no downsampling conv.
        let stages: [(filters: Int, blocks: Int, part: Int, split: Activation)] = [
            (128, 3, 64, act), (256, 3, 256, .linear), (512, 5, 512, .linear), (1024, 2, 1024, act),
        ]
        for (n, stage) in stages.enumerated() {
            let input = n == 0 ? b.last : b.conv(stage.filters, size: 3, stride: 2, groups: 32)
            let bypass = b.conv(stage.filters, size: 1, activation: stage.split)
            b.route(.layer(input))
            b.conv(stage.part, size: 1, activation: stage.split)
            for block in 1...stage.blocks {
                b.comment("\(n + 1)-\(block)")
                b.resnextBlock(filters: stage.filters)
            }
            b.comment("\(n + 1)-T")
            b.conv(stage.filters, size: 1)
            b.route(.layer(b.last), .layer(bypass))
            b.conv(2 * stage.filters, size: 1)
        }
        b.classifier(classes: s.classes)
        b.header(s.header(["CSP-ResNeXt-50 classifier (WongKinYiu/CrossStagePartialNetworks csresnext50.cfg,",
                           "omega recipe): \(act.rawValue) activations, label smoothing, CutMix/mosaic, poly schedule."],
                          layers: b.last + 1))
        return b.text
    }
}

extension NetworkBuilder {
    /// A ResNeXt bottleneck: 1×1, grouped 3×3 (32 groups), linear 1×1, then a shortcut from the block input with the
    /// builder's activation.
    @discardableResult
    public mutating func resnextBlock(filters: Int, groups: Int = 32) -> Int {
        let input = last
        conv(filters, size: 1)
        conv(filters, size: 3, groups: groups)
        conv(filters, size: 1, activation: .linear)
        return shortcut(from: .layer(input), activation: activation)
    }

    /// ImageNet-style head: global average pool, a linear 1×1 convolution to `classes` (with bias), softmax.
    @discardableResult
    public mutating func classifier(classes: Int) -> Int {
        comment("Classifier")
        avgpool()
        conv(classes, size: 1, activation: .linear, batchNormalize: false)
        return softmax(groups: 1)
    }
}

/// The published settings of the small CSP classifier for the shape-classification set.
enum CSDarknetShapesDesign {
    static let classes = 5
    static let inputSize = 64
    static let batch = 32
}

extension ModelZoo {
    /// CSP-DarkNet scaled down for 64×64 shape classification: a 3×3 stem and three cross-stage-partial stages
    /// (32, 64, 128 filters, one residual block each), global average pooling and a softmax; the omega recipe's
    /// augmentation and label smoothing, with a short step schedule sized for CPU training (docs/results.md).
    static func csdarknetShapes(_ s: ZooSettings) -> String {
        var b = NetworkBuilder(activation: s.activation(.mish))
        b.net([s.netInput + ["min_crop": CfgValue(s.width), "max_crop": CfgValue(s.width * 5 / 4)],
               ["aspect": ".9", "angle": 7, "hue": ".05", "saturation": ".75", "exposure": ".75", "flip": 1,
                "label_smooth_eps": "0.1"],
               ["momentum": "0.9", "decay": "0.0005", "learning_rate": "0.005", "burn_in": 100, "policy": "steps",
                "steps": "2400,2700", "scales": ".1,.1", "max_batches": 3000]])
        b.conv(16, size: 3)
        for filters in [32, 64, 128] {
            b.comment("CSP stage \(filters)")
            let down = b.conv(filters, size: 3, stride: 2)
            let bypass = b.conv(filters / 2, size: 1)
            b.route(.layer(down))
            let part = b.conv(filters / 2, size: 1)
            b.conv(filters / 2, size: 1)
            b.conv(filters / 2, size: 3)
            b.shortcut(from: .layer(part))
            b.conv(filters / 2, size: 1)
            b.route(.layer(b.last), .layer(bypass))
            b.conv(filters, size: 1)
        }
        b.classifier(classes: s.classes)
        b.header(s.header(["a scaled-down CSP-DarkNet classifier (the csdarknet53-omega recipe on a small scale)",
                           "for the synthetic shape-classification set: swiftnet dataset shapes --classification.",
                           "Trains to ≥ 95 % top-1 within 10 minutes on 2 CPU cores (docs/results.md)."],
                          layers: b.last + 1))
        return b.text
    }
}
