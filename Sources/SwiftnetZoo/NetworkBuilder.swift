import Foundation
import SwiftnetFormat

/// An anchor box size in network-input pixels.
public struct Anchor: Equatable, Sendable {
    /// Width in input pixels.
    public var width: Double
    /// Height in input pixels.
    public var height: Double

    /// An anchor of `width × height` pixels.
    public init(_ width: Double, _ height: Double) {
        self.width = width
        self.height = height
    }

    /// `width × height`.
    public var area: Double { width * height }

    /// Anchors from a flat `w, h, w, h, …` list such as `YoloConfig.anchors` (a trailing odd value is ignored).
    public static func pairs(_ values: [Float]) -> [Anchor] {
        stride(from: 0, to: values.count - 1, by: 2).map { Anchor(Double(values[$0]), Double(values[$0 + 1])) }
    }

    /// Anchors as cfg text: `w,h` pairs joined by `, `, rounded to whole pixels as `printf` rounds, or with 4
    /// decimals when `fractional` (darknet's `calc_anchors` does that for networks of at most 32 pixels).
    public static func cfgText(_ anchors: [Anchor], fractional: Bool = false) -> String {
        func number(_ v: Double) -> String { String(format: fractional ? "%.4f" : "%.0f", v) }
        return anchors.map { "\(number($0.width)),\(number($0.height))" }.joined(separator: ", ")
    }
}

/// Builds a network layer by layer on top of a ``CfgWriter``: one method per darknet section, each returning the
/// index of the layer it added, so that architecture code can name the layers it routes from.
///
/// Convolutions default to batch normalisation, `pad=1` and the builder's ``activation``.
public struct NetworkBuilder: Sendable {
    /// The text emitter (layer indices, comments, sections).
    public private(set) var writer = CfgWriter()
    /// Activation of convolutions that do not name one.
    public var activation: Activation

    /// An empty network whose convolutions default to `activation`.
    public init(activation: Activation) {
        self.activation = activation
    }

    /// Index of the most recently added layer.
    public var last: Int { writer.lastLayer }

    /// The cfg text so far.
    public var text: String { writer.text }

    /// Writes the top-of-file comment block.
    public mutating func header(_ lines: [String]) { writer.header(lines) }

    /// Writes `[net]`, one blank line between option groups.
    public mutating func net(_ groups: [CfgOptionList]) { writer.net(groups) }

    /// Queues a comment for the next layer.
    public mutating func comment(_ text: String) { writer.comment(text) }

    /// `[convolutional]` with `pad=1` ("same" padding for odd kernels).
    @discardableResult
    public mutating func conv(_ filters: Int, size: Int, stride: Int = 1, groups: Int = 1, activation: Activation? = nil,
                              batchNormalize: Bool = true) -> Int {
        var options: CfgOptionList = [:]
        if batchNormalize { options.append("batch_normalize", 1) }
        options.append("filters", CfgValue(filters))
        options.append("size", CfgValue(size))
        if groups != 1 { options.append("groups", CfgValue(groups)) }
        options.append("stride", CfgValue(stride))
        options.append("pad", 1)
        options.append("activation", CfgValue((activation ?? self.activation).rawValue))
        return writer.layer("convolutional", options)
    }

    /// `[shortcut]`: adds layer `from` to the previous layer's output.
    @discardableResult
    public mutating func shortcut(from: LayerRef, activation: Activation = .linear) -> Int {
        writer.layer("shortcut", ["from": writer.references([from]), "activation": CfgValue(activation.rawValue)])
    }

    /// `[route]`: channel concatenation of the listed layers (or, with `groups`, one channel group of them).
    @discardableResult
    public mutating func route(_ layers: LayerRef..., groups: Int = 1, groupID: Int = 0) -> Int {
        var options: CfgOptionList = ["layers": writer.references(layers)]
        if groups != 1 {
            options.append("groups", CfgValue(groups))
            options.append("group_id", CfgValue(groupID))
        }
        return writer.layer("route", options)
    }

    /// `[maxpool]`.
    @discardableResult
    public mutating func maxpool(size: Int, stride: Int) -> Int {
        writer.layer("maxpool", ["size": CfgValue(size), "stride": CfgValue(stride)])
    }

    /// `[upsample]` (nearest neighbour).
    @discardableResult
    public mutating func upsample(stride: Int = 2) -> Int {
        writer.layer("upsample", ["stride": CfgValue(stride)])
    }

    /// `[avgpool]`: global average.
    @discardableResult
    public mutating func avgpool() -> Int { writer.layer("avgpool") }

    /// `[softmax]`.
    @discardableResult
    public mutating func softmax(groups: Int = 1) -> Int { writer.layer("softmax", ["groups": CfgValue(groups)]) }

    /// `[yolo]` with `mask`, `anchors`, `classes`, `num` followed by the family's training keys.
    @discardableResult
    public mutating func yolo(mask: [Int], anchors: [Anchor], classes: Int, _ settings: CfgOptionList) -> Int {
        let options: CfgOptionList = [
            "mask": CfgValue(mask.map(String.init).joined(separator: ",")),
            "anchors": CfgValue(Anchor.cfgText(anchors)),
            "classes": CfgValue(classes),
            "num": CfgValue(anchors.count),
        ]
        return writer.layer("yolo", options + settings)
    }

    // MARK: - Blocks shared by the families

    /// A residual block: 1×1 `hidden`, 3×3 `filters`, then a linear shortcut from the block's input.
    @discardableResult
    public mutating func residual(hidden: Int, filters: Int) -> Int {
        let input = last
        conv(hidden, size: 1)
        conv(filters, size: 3)
        return shortcut(from: .layer(input))
    }

    /// A YOLO output: 3×3 `filters` convolution, the linear 1×1 prediction convolution with
    /// `mask.count × (classes + 5)` filters, and the `[yolo]` layer.
    @discardableResult
    public mutating func yoloHead(filters: Int, mask: [Int], anchors: [Anchor], classes: Int, _ settings: CfgOptionList) -> Int {
        conv(filters, size: 3)
        conv(mask.count * (classes + 5), size: 1, activation: .linear, batchNormalize: false)
        return yolo(mask: mask, anchors: anchors, classes: classes, settings)
    }

    /// Spatial pyramid pooling on the previous layer: max-pools of 5, 9 and 13 at stride 1, concatenated with their
    /// input (largest pool first, as in YOLOv4).
    @discardableResult
    public mutating func spp() -> Int {
        let input = last
        comment("SPP")
        let pool5 = maxpool(size: 5, stride: 1)
        route(.layer(input))
        let pool9 = maxpool(size: 9, stride: 1)
        route(.layer(input))
        let pool13 = maxpool(size: 13, stride: 1)
        return route(.layer(pool13), .layer(pool9), .layer(pool5), .layer(input))
    }
}
