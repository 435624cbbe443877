import Foundation
import SwiftnetCore
import SwiftnetFormat

/// Width × height × channels of one image's tensor (layout CHW).
public struct Shape: Equatable, Sendable, CustomStringConvertible {
    public var w: Int
    public var h: Int
    public var c: Int

    public init(w: Int, h: Int, c: Int) {
        self.w = w
        self.h = h
        self.c = c
    }

    /// Flat element count per image (darknet's `outputs`).
    public var count: Int { w * h * c }
    public var spatial: Int { w * h }
    public var description: String { "\(w)×\(h)×\(c)" }
}

/// A named float array that a layer stores in `.weights` (in file order).
public struct ParameterArray {
    public var name: String
    public var buffer: Buffer
}

/// A shape problem found while building or resizing a network; turned into a `path:line:` error by `Network`.
public struct ShapeError: Error {
    public var message: String
    /// Layers whose inputs must have equal sizes got different ones (route, shortcut): the input size may be the cause.
    public var isSizeMismatch: Bool
    public init(_ message: String, sizeMismatch: Bool = false) {
        self.message = message
        self.isSizeMismatch = sizeMismatch
    }
}

/// The bound on what one network may allocate: physical memory. A cfg or size that would need more is refused with
/// a clear error instead of an allocation abort.
public enum MemoryBudget {
    /// Physical memory in bytes.
    public static var bytes: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// The product of `factors`, or nil when it overflows.
    public static func product(_ factors: Int...) -> Int? {
        var p = 1
        for f in factors {
            let (r, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            p = r
        }
        return p
    }

    /// Throws when `floats` (nil: overflowed) 32-bit values do not fit into physical memory.
    static func check(_ floats: Int?, _ what: @autoclosure () -> String) throws {
        guard let floats, floats <= bytes / 4 else {
            let amount = floats.map { String(format: "%.1f GiB", Double($0) * 4 / 1_073_741_824) } ?? "more than 2⁶³ bytes"
            throw ShapeError("\(what()) would need \(amount), more than this machine's \(String(format: "%.1f", Double(bytes) / 1_073_741_824)) GiB of memory")
        }
    }
}

/// Training targets of one forward pass: boxes per image for `[yolo]` (relative to the network input), or dense target vectors (`batch × outputs`
/// of the loss layer) for `[softmax]` and `[cost]`.
public struct TrainingTruth {
    public var boxes: [[LabelBox]]
    public var vectors: [Float]

    public init(boxes: [[LabelBox]] = [], vectors: [Float] = []) {
        self.boxes = boxes
        self.vectors = vectors
    }
}

/// What a layer's forward pass reads besides its own state.
public struct ForwardContext {
    /// The previous layer's output (or the network input for layer 0), `batch` images.
    public var input: UnsafeMutablePointer<Float>
    public var batch: Int
    /// Network input size (YOLO decoding uses it).
    public var netWidth: Int
    public var netHeight: Int
    public var training: Bool
    /// Shared scratch memory for im2col and similar.
    public var workspace: UnsafeMutablePointer<Float>
    /// Targets, in training.
    public var truth: TrainingTruth?
    /// Where training stands: completed iterations and the run's `max_batches` (DropBlock's schedule).
    public var progress = TrainingProgress()
    /// Worker threads: the network's plan, the same the workspace was sized for.
    public var threads = Parallel.threads
}

/// Completed training iterations out of `max_batches`.
public struct TrainingProgress: Sendable, Equatable {
    public var iteration = 0
    public var maxBatches = 0

    public init(iteration: Int = 0, maxBatches: Int = 0) {
        self.iteration = iteration
        self.maxBatches = maxBatches
    }
}

/// What a layer's backward pass reads and writes besides its own state.
public struct BackwardContext {
    /// The previous layer's output (the forward input).
    public var input: UnsafeMutablePointer<Float>
    /// The previous layer's delta, to accumulate into; nil for the first layer (or below `stopbackward`).
    public var inputDelta: UnsafeMutablePointer<Float>?
    public var batch: Int
    public var workspace: UnsafeMutablePointer<Float>
    /// Worker threads: the network's plan, the same the workspace was sized for.
    public var threads = Parallel.threads
}

/// One trainable array with its update buffer. darknet's convention: `update` accumulates the *negative* gradient
/// (deltas are `target − output`) over the images of an iteration and doubles as the momentum buffer (spec §5.7).
public final class Trainable {
    public enum Kind: Sendable { case weights, biases, scales }
    public let name: String
    public let kind: Kind
    public let value: Buffer
    public let update: Buffer

    public init(name: String, kind: Kind, value: Buffer) {
        self.name = name
        self.kind = kind
        self.value = value
        self.update = Buffer(count: value.count)
    }

    /// Weight decay applies to conv/connected weights only.
    public var decays: Bool { kind == .weights }
}

/// Base class of every layer: the shape rule, forward pass and parameters of one cfg section.
/// Subclasses live one per file, named after their cfg section.
open class Layer {
    public let index: Int
    public let spec: LayerSpec
    public internal(set) var inputShape = Shape(w: 0, h: 0, c: 0)
    public internal(set) var outputShape = Shape(w: 0, h: 0, c: 0)
    /// `batch × outputShape.count` floats.
    public internal(set) var output = Buffer(count: 0)
    public internal(set) var batch = 1
    /// Training only: `−∂loss/∂output`, `batch × outputShape.count` floats.
    public internal(set) var delta = Buffer(count: 0)
    /// The loss this layer computed in its last training forward (loss layers only).
    public internal(set) var cost: Float? = nil
    /// Set by the network when it is prepared for training (training buffers exist).
    public internal(set) var training = false

    init(spec: LayerSpec) {
        self.index = spec.index
        self.spec = spec
    }

    /// darknet's short type name used in the layer table (`conv`, `max`, `route`, …).
    open var typeName: String { "layer" }

    /// Computes the output shape for an input shape (and the shapes of the layers it references), storing any
    /// geometry the forward pass needs. Called at build time and on every resize.
    open func reshape(input: Shape, layers: [Layer]) throws -> Shape { input }

    /// Floats of shared scratch memory the layer's passes need with `threads` workers.
    open func workspaceCount(threads: Int) -> Int { 0 }

    /// Whether `output` may alias the input buffer (identity layers at inference).
    open var aliasesInput: Bool { false }

    open func forward(_ ctx: ForwardContext) {}

    /// Arrays stored in `.weights` for this layer, in file order (empty for layers without parameters).
    open var parameters: [ParameterArray] { [] }

    /// Called once after weights are loaded, before inference (e.g. to fold batch-norm).
    open func prepareForInference() {}

    /// Whether the layer can be trained (has a backward pass).
    open var supportsTraining: Bool { true }

    /// Allocates the buffers a training forward/backward needs (called after every reshape in training mode).
    open func allocateTraining() {}

    /// Floats per image that ``allocateTraining()`` keeps besides `output` and `delta` (saved pre-activations,
    /// normalised values, masks), for memory planning.
    open var trainingFloatsPerImage: Int { 0 }

    /// Accumulates `delta` into the input's delta (and referenced layers' deltas) and into parameter updates.
    open func backward(_ ctx: BackwardContext) {}

    /// Parameters with their update buffers (created once, kept across resizes).
    open var trainables: [Trainable] { [] }

    /// Adds `delta` unchanged into the input delta (identity-shaped layers).
    func passDelta(_ ctx: BackwardContext) {
        guard let inputDelta = ctx.inputDelta else { return }
        Kernels.add(delta.pointer, into: inputDelta, count: ctx.batch * outputShape.count)
    }

    /// Billions of floating-point operations of one forward pass of one image (darknet's BFLOPS figure).
    open var bflops: Double { 0 }

    /// The line darknet prints for this layer in its table (without the index column), possibly several lines.
    open var tableText: String { typeName }
}
