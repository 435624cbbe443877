/// The output heads of a cfg and how to give them another class count, the way `swiftnet cfg --classes` writes them.
public struct OutputHeads: Sendable, Equatable {
    /// One option whose value follows the class count: `multiplier × (classes + offset)`.
    struct Target: Sendable, Equatable {
        var layer: Int
        var key: String
        var multiplier: Int
        var offset: Int
    }

    /// The classes the heads predict now (the last `[yolo]`/`[region]`, or the classifier's output count).
    public var classes: Int
    /// Whether the network is a detector (`[yolo]`/`[region]` heads) rather than a classifier (`[softmax]`).
    public var isDetector: Bool
    var targets: [Target]

    /// `--set`-style overrides that give every head `classes` classes: `classes=` of each `[yolo]`/`[region]` and the
    /// `filters=` (or `output=`) of the layer feeding each head.
    public func overrides(classes newClasses: Int) -> [CfgOverride] {
        targets.map { CfgOverride(section: String($0.layer), key: $0.key, value: String($0.multiplier * (newClasses + $0.offset))) }
    }
}

extension NetworkConfig {
    /// The network's output heads, or nil when it has neither `[yolo]`/`[region]` heads nor a `[softmax]` fed by a
    /// `[convolutional]`/`[connected]` layer.
    public var outputHeads: OutputHeads? {
        var targets: [OutputHeads.Target] = []
        var lastClasses: Int?
        for spec in layers {
            let anchors: Int, extra: Int
            switch spec.config {
            case .yolo(let y): (anchors, extra, lastClasses) = (y.mask.count, 5, y.classes)
            case .region(let r): (anchors, extra, lastClasses) = (r.total, r.coords + 1, r.classes)
            default: continue
            }
            targets.append(.init(layer: spec.index, key: "classes", multiplier: 1, offset: 0))
            if spec.index > 0, case .convolutional = layers[spec.index - 1].config {
                targets.append(.init(layer: spec.index - 1, key: "filters", multiplier: anchors, offset: extra))
            }
        }
        if let lastClasses { return OutputHeads(classes: lastClasses, isDetector: true, targets: targets) }
        guard let softmax = layers.lastIndex(where: { if case .softmax = $0.config { return true } else { return false } }) else { return nil }
        // The class count is set by the last layer with weights before the softmax (avgpool, dropout and
        // activations in between keep the channel count).
        for index in stride(from: softmax - 1, through: 0, by: -1) {
            switch layers[index].config {
            case .convolutional(let c):
                return OutputHeads(classes: c.filters, isDetector: false, targets: [.init(layer: index, key: "filters", multiplier: 1, offset: 0)])
            case .connected(let c):
                return OutputHeads(classes: c.outputs, isDetector: false, targets: [.init(layer: index, key: "output", multiplier: 1, offset: 0)])
            case .avgpool, .dropout, .activation, .batchnorm, .empty: continue
            default: return nil
            }
        }
        return nil
    }
}

extension CfgOverride {
    /// An override built in code (no parsing).
    public init(section: String, key: String, value: String) {
        self.section = section
        self.key = key
        self.value = value
    }
}
