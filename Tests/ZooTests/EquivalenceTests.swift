import Foundation
import SwiftnetFormat
import SwiftnetLayers
import SwiftnetZoo
import TestSupport
import XCTest

/// Each generated cfg, at the published class count and input size, is the published network: same layers with the
/// same typed settings (and so the same `swiftnet layers` table and `.weights` size). Only the detectors' training
/// length differs: `max_batches`/`steps` follow darknet's `2000 × classes` advice instead of the COCO schedule.
final class EquivalenceTests: XCTestCase {
    /// Upstream file → generator call.
    static let cases: [(upstream: String, network: ZooNetwork, options: ZooOptions)] = [
        ("yolov4", .yolov4, ZooOptions()),
        ("yolov4-tiny", .yolov4Tiny, ZooOptions()),
        ("yolov4-pacsp", .yolov4PACSP, ZooOptions()),
        ("yolov4-pacsp-mish", .yolov4PACSP, ZooOptions(activation: .mish, width: 640, height: 640)),
        ("yolov4-pacsp-s", .yolov4PACSP, ZooOptions(scale: .s)),
        ("yolov4-pacsp-s-mish", .yolov4PACSP, ZooOptions(activation: .mish, scale: .s)),
        ("csdarknet53-omega", .csdarknet53, ZooOptions()),
        ("csresnext50-omega", .csresnext50, ZooOptions()),
    ]

    func testGeneratedNetworksEqualThePublishedOnes() throws {
        for c in Self.cases {
            let reference = try NetworkConfig(contentsOf: try SharedData.path("cfg/\(c.upstream).cfg"))
            let generated = try NetworkConfig(text: try ModelZoo.cfg(c.network, c.options), path: "generated \(c.upstream)")
            XCTAssertEqual(generated.diagnostics, [], "\(c.upstream): every generated key is one darknet reads")

            let published = try Network(config: reference, allocate: false)
            let ours = try Network(config: generated, allocate: false)
            XCTAssertEqual(ours.layers.count, published.layers.count, c.upstream)
            for (a, b) in zip(ours.layers, published.layers) {
                XCTAssertEqual(a.spec.sectionName, b.spec.sectionName, "\(c.upstream) layer \(a.index)")
                XCTAssertEqual(a.outputShape, b.outputShape, "\(c.upstream) layer \(a.index)")
                XCTAssertEqual(a.spec.config, b.spec.config, "\(c.upstream) layer \(a.index)")
            }
            XCTAssertEqual(ours.layerTable(), published.layerTable(), c.upstream)
            XCTAssertEqual(ours.weightsByteCount, published.weightsByteCount, c.upstream)
            assertSameRecipe(generated.net, reference.net, schedule: !c.network.isDetector, c.upstream)
        }
    }

    /// The `[net]` settings that define the training recipe.
    func assertSameRecipe(_ a: NetConfig, _ b: NetConfig, schedule: Bool, _ name: String) {
        XCTAssertEqual([a.batch, a.subdivisions, a.width, a.height, a.channels, a.burnIn, a.minCrop, a.maxCrop, a.mixup],
                       [b.batch, b.subdivisions, b.width, b.height, b.channels, b.burnIn, b.minCrop, b.maxCrop, b.mixup], name)
        XCTAssertEqual([a.learningRate, a.momentum, a.decay, a.power, a.hue, a.saturation, a.exposure, a.angle, a.aspect,
                        a.labelSmoothEps],
                       [b.learningRate, b.momentum, b.decay, b.power, b.hue, b.saturation, b.exposure, b.angle, b.aspect,
                        b.labelSmoothEps], name)
        XCTAssertEqual([a.flip, a.mosaic, a.cutmix, a.letterBox], [b.flip, b.mosaic, b.cutmix, b.letterBox], name)
        XCTAssertEqual(a.policy, b.policy, name)
        XCTAssertEqual(a.scales, b.scales, name)
        if schedule {
            XCTAssertEqual(a.maxBatches, b.maxBatches, name)
            XCTAssertEqual(a.steps, b.steps, name)
        }
    }

    func testDetectorScheduleFollowsDarknetsAdvice() throws {
        for (classes, expected) in [(1, 6000), (3, 6000), (5, 10_000), (80, 160_000)] {
            let net = try NetworkConfig(text: try ModelZoo.cfg(.yolov4Tiny, ZooOptions(classes: classes)), path: "tiny").net
            XCTAssertEqual(net.maxBatches, expected)
            XCTAssertEqual(net.steps, [expected * 8 / 10, expected * 9 / 10])
            XCTAssertEqual(net.burnIn, 1000)
        }
    }

    /// yolov4-pacsp-x has no upstream file here; the spec's Appendix A gives darknet's numbers for PyTorch_YOLOv4's.
    func testPACSPXMatchesTheSpecsNumbers() throws {
        for activation in [Activation.leaky, .mish] {
            let text = try ModelZoo.cfg(.yolov4PACSP, ZooOptions(activation: activation, scale: .x))
            let network = try Network(config: NetworkConfig(text: text, path: "x"), allocate: false)
            XCTAssertEqual(network.width, 640)
            XCTAssertEqual(network.layers.count, 203)
            XCTAssertEqual(network.weightsByteCount, 399_388_168)
            let yolo = network.layers.filter { $0.typeName == "yolo" }
            XCTAssertEqual(yolo.map(\.index), [168, 185, 202])
            XCTAssertEqual(yolo.map(\.outputShape), [80, 40, 20].map { Shape(w: $0, h: $0, c: 255) })
        }
    }

    /// The other scales keep the published layer vocabulary and grow monotonically s < m < l < x.
    func testScalesGrow() throws {
        var sizes: [Int] = []
        for scale in ZooScale.allCases {
            let text = try ModelZoo.cfg(.yolov4PACSP, ZooOptions(width: 512, height: 512, scale: scale))
            let network = try Network(config: NetworkConfig(text: text, path: scale.rawValue), allocate: false)
            XCTAssertEqual(network.layers.filter { $0.typeName == "yolo" }.map(\.outputShape.w), [64, 32, 16], scale.rawValue)
            sizes.append(network.weightsByteCount)
        }
        XCTAssertEqual(sizes, sizes.sorted())
        XCTAssertEqual(Set(sizes).count, 4)
    }

    func testThreeClassPACSPHasThreeClassHeads() throws {
        let text = try ModelZoo.cfg(.yolov4PACSP, ZooOptions(classes: 3))
        let config = try NetworkConfig(text: text, path: "pacsp-3")
        let network = try Network(config: config, allocate: false)
        var heads = 0
        for (i, spec) in config.layers.enumerated() {
            guard case .yolo(let yolo) = spec.config else { continue }
            heads += 1
            XCTAssertEqual(yolo.classes, 3)
            XCTAssertEqual(yolo.mask.count, 3)
            guard case .convolutional(let conv) = config.layers[i - 1].config else { return XCTFail("layer \(i - 1) is not a conv") }
            XCTAssertEqual(conv.filters, 24)
            XCTAssertEqual(network.layers[i].outputShape.c, 24)
        }
        XCTAssertEqual(heads, 3)
        XCTAssertEqual(text.components(separatedBy: "\nfilters=24\n").count - 1, 3)
    }

    func testClassifierClassesAndInputSize() throws {
        for network in [ZooNetwork.csdarknet53, .csresnext50] {
            let text = try ModelZoo.cfg(network, ZooOptions(classes: 10, width: 224, height: 224))
            let config = try NetworkConfig(text: text, path: network.rawValue)
            let built = try Network(config: config, allocate: false)
            XCTAssertEqual(built.layers.last?.typeName, "softmax")
            XCTAssertEqual(built.layers.last?.outputShape, Shape(w: 1, h: 1, c: 10))
            XCTAssertEqual([config.net.minCrop, config.net.maxCrop], [112, 392])
        }
    }

    func testActivationReplacesEveryHiddenActivation() throws {
        for network in ZooNetwork.allCases {
            let text = try ModelZoo.cfg(network, ZooOptions(activation: .swish))
            let config = try NetworkConfig(text: text, path: network.rawValue)
            XCTAssertEqual(config.diagnostics, [], network.rawValue)
            for spec in config.layers {
                switch spec.config {
                case .convolutional(let c): XCTAssertTrue([.swish, .linear].contains(c.activation), "\(network) \(spec.index)")
                case .shortcut(let s): XCTAssertTrue([.swish, .linear].contains(s.activation), "\(network) \(spec.index)")
                default: break
                }
            }
            XCTAssertTrue(text.contains("activation=swish"))
        }
    }
}
