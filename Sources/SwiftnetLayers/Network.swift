import Foundation
import SwiftnetCore
import SwiftnetFormat

/// A network built from a parsed cfg: the layers with their shapes and buffers, the forward pass and `.weights` I/O.
public final class Network {
    public let config: NetworkConfig
    public private(set) var layers: [Layer] = []
    public private(set) var width: Int
    public private(set) var height: Int
    public let channels: Int
    /// Images per forward pass.
    public private(set) var batch: Int
    /// `batch × width × height × channels` input floats, planar RGB.
    public private(set) var input: Buffer
    private var workspace = Buffer(count: 0)
    /// The header of the last loaded weights file (written back unchanged by `saveWeights` unless replaced).
    public var weightsHeader = WeightsHeader()

    public var path: String { config.path }

    /// Whether activation buffers exist (false for shape-only networks such as `swiftnet layers` builds).
    public private(set) var allocated: Bool

    /// The execution plan's worker threads: fixed when the network is built, the scratch space is sized for them and
    /// every pass runs with them (two networks with different counts can run in one process).
    public let threads: Int

    /// Whether 3×3 stride-1 convolutions may run as Winograd F(4×4, 3×3) (where it pays off; otherwise im2col + GEMM
    /// everywhere). Part of the plan, fixed when the network is built.
    public let winograd: Bool

    /// Builds the network. `width`/`height` override the cfg's input size; `batch` is the number of images per pass;
    /// `threads` its workers (default: ``Parallel/threads`` now). With `allocate: false` only shapes and parameters
    /// are set up (no activation memory; `forward` is unavailable). `winograd: false` keeps every convolution on
    /// im2col + GEMM.
    public init(config: NetworkConfig, batch: Int = 1, width: Int? = nil, height: Int? = nil, allocate: Bool = true,
                threads: Int? = nil, winograd: Bool = true) throws {
        self.threads = max(1, threads ?? Parallel.threads)
        self.winograd = winograd
        self.allocated = allocate
        self.config = config
        self.width = width ?? config.net.width
        self.height = height ?? config.net.height
        self.channels = config.net.channels
        self.batch = max(1, batch)
        guard self.width > 0, self.height > 0 else {
            throw SwiftnetError.invalid("network input size must be positive, got \(self.width)×\(self.height)")
        }
        guard self.width <= 1 << 16, self.height <= 1 << 16, channels <= 1 << 16 else {
            throw SwiftnetError.invalid("network input \(self.width)×\(self.height)×\(channels) is too large (at most 65536 per side and channels)")
        }
        input = Buffer(count: 0)
        for spec in config.layers {
            let layer = Self.makeLayer(spec)
            (layer as? ConvolutionalLayer)?.allowWinograd = winograd
            layers.append(layer)
        }
        try reshapeAll()
    }

    /// Parses a cfg file and builds its network.
    public convenience init(cfgPath: String, batch: Int = 1, width: Int? = nil, height: Int? = nil, allocate: Bool = true,
                            threads: Int? = nil) throws {
        try self.init(config: NetworkConfig(contentsOf: cfgPath), batch: batch, width: width, height: height, allocate: allocate,
                      threads: threads)
    }

    /// One exhaustive switch from typed cfg sections to layer objects: a new section kind cannot be forgotten.
    static func makeLayer(_ spec: LayerSpec) -> Layer {
        switch spec.config {
        case .convolutional(let c): return ConvolutionalLayer(spec: spec, config: c)
        case .connected(let c): return ConnectedLayer(spec: spec, config: c)
        case .maxpool(let c): return MaxPoolLayer(spec: spec, config: c)
        case .localAvgpool(let c): return LocalAvgPoolLayer(spec: spec, config: c)
        case .avgpool: return AvgPoolLayer(spec: spec)
        case .route(let c): return RouteLayer(spec: spec, config: c)
        case .shortcut(let c): return ShortcutLayer(spec: spec, config: c)
        case .upsample(let c): return UpsampleLayer(spec: spec, config: c)
        case .yolo(let c): return YoloLayer(spec: spec, config: c)
        case .region(let c): return RegionLayer(spec: spec, config: c)
        case .softmax(let c): return SoftmaxLayer(spec: spec, config: c)
        case .dropout(let c): return DropoutLayer(spec: spec, config: c)
        case .reorg(let c): return ReorgLayer(spec: spec, config: c)
        case .reorg3d(let c): return Reorg3dLayer(spec: spec, config: c)
        case .sam(let c): return SamLayer(spec: spec, config: c)
        case .scaleChannels(let c): return ScaleChannelsLayer(spec: spec, config: c)
        case .batchnorm: return BatchNormLayer(spec: spec)
        case .activation(let a): return ActivationLayer(spec: spec, activation: a)
        case .empty: return EmptyLayer(spec: spec)
        case .cost(let c): return CostLayer(spec: spec, config: c)
        }
    }

    /// Recomputes every layer's shape for the current input size and (re)allocates buffers.
    private func reshapeAll() throws {
        var shape = Shape(w: width, h: height, c: channels)
        var activations = MemoryBudget.product(batch, width, height, channels)
        for layer in layers {
            do {
                let out = try layer.reshape(input: shape, layers: layers)
                guard out.w > 0, out.h > 0, out.c > 0 else { throw ShapeError("output shape \(out) is empty") }
                if allocated {
                    let perImage = out.w * out.h * out.c * (isTraining ? 2 : 1) + (isTraining ? layer.trainingFloatsPerImage : 0)
                    let floats = MemoryBudget.product(batch, perImage)
                    activations = activations.flatMap { total in floats.flatMap { total.addingReportingOverflow($0).overflow ? nil : total + $0 } }
                    try MemoryBudget.check(activations, "the activations up to here, at \(width)×\(height) with batch \(batch),")
                }
                layer.outputShape = out
                shape = out
            } catch let error as ShapeError {
                // Route and shortcut sizes diverge when stride-2 stages halve an odd size.
                let hint = error.isSizeMismatch && (width % 32 != 0 || height % 32 != 0)
                    ? " (the input size \(width)×\(height) is not a multiple of 32, which networks with five stride-2 stages need)" : ""
                throw SwiftnetError.cfg(path: config.path, line: layer.spec.line,
                                        message: "[\(layer.spec.sectionName)] (layer \(layer.index)): \(error.message)" + hint)
            }
        }
        try checkMemory(activations: activations)
        allocate()
    }

    /// Refuses sizes whose activations plus the largest layer's scratch space exceed physical memory.
    private func checkMemory(activations: Int?) throws {
        guard allocated else { return }
        let threads = self.threads
        guard let scratch = layers.max(by: { $0.workspaceCount(threads: threads) < $1.workspaceCount(threads: threads) }) else { return }
        let floats = scratch.workspaceCount(threads: threads)
        guard floats > 0 else { return }
        let total = activations.flatMap { a in a.addingReportingOverflow(floats).overflow ? nil : a + floats }
        do {
            try MemoryBudget.check(total, "its activations and scratch space at \(width)×\(height) with batch \(batch)")
        } catch let error as ShapeError {
            throw SwiftnetError.cfg(path: config.path, line: scratch.spec.line,
                                    message: "[\(scratch.spec.sectionName)] (layer \(scratch.index)): \(error.message)")
        }
    }

    private func allocate() {
        guard allocated else { return }
        input = Buffer(count: batch * width * height * channels)
        for layer in layers {
            layer.batch = batch
            layer.output = Buffer(count: batch * layer.outputShape.count)
            if isTraining {
                layer.delta = Buffer(count: batch * layer.outputShape.count)
                layer.allocateTraining()
            }
        }
        workspace = Buffer(count: workspaceFloats)
        if memoryPlanned && !isTraining { applyMemoryPlan() }
    }

    /// Whether outputs share buffers by liveness (``planMemory()``).
    public private(set) var memoryPlanned = false

    /// Inference only: lets layers whose outputs are no longer read share buffers (the detection heads and the output
    /// layer keep their own), so that a pass needs a fraction of the activation memory; kept across `setBatch` and
    /// `resize`. Afterwards only the heads' and the output layer's outputs are meaningful after a pass.
    public func planMemory() {
        guard allocated, !isTraining else { return }
        memoryPlanned = true
        applyMemoryPlan()
    }

    private func applyMemoryPlan() {
        var keep = Set(layers.indices.filter { layers[$0] is DetectionLayer })
        keep.insert(outputLayer.index)
        let plan = MemoryPlan(layers: layers, keep: keep)
        let buffers = plan.capacities.map { Buffer(count: batch * $0) }
        for (layer, slot) in zip(layers, plan.slots) { layer.output = buffers[slot] }
    }

    /// Bytes of activation memory a pass uses: the input, every distinct output buffer and the shared scratch space.
    public var activationBytes: Int {
        var seen = Set<ObjectIdentifier>()
        var floats = input.count + workspace.count
        for layer in layers where seen.insert(ObjectIdentifier(layer.output)).inserted { floats += layer.output.count }
        if isTraining { floats += layers.reduce(0) { $0 + $1.delta.count } }
        return 4 * floats
    }

    // MARK: - Training

    /// Whether training buffers (deltas, saved activations, update buffers) exist.
    public private(set) var isTraining = false

    /// Allocates what training needs; fails if a layer cannot be trained.
    public func prepareForTraining() throws {
        if let layer = layers.first(where: { !$0.supportsTraining }) {
            throw SwiftnetError.cfg(path: config.path, line: layer.spec.line,
                                    message: "[\(layer.spec.sectionName)] (layer \(layer.index)) cannot be trained by swiftnet")
        }
        isTraining = true
        for layer in layers { layer.training = true }
        try checkMemory(activations: MemoryBudget.product(batch, trainingFloatsPerImage))
        allocate()
    }

    /// Floats one image of a training pass keeps at the current size: the input, every layer's output and delta, and
    /// what layers save for backward.
    public var trainingFloatsPerImage: Int {
        layers.reduce(width * height * channels) { $0 + 2 * $1.outputShape.count + $1.trainingFloatsPerImage }
    }

    /// Floats of the largest layer's scratch space (training sizes once ``prepareForTraining()`` has run).
    public var workspaceFloats: Int { layers.map { $0.workspaceCount(threads: threads) }.max() ?? 0 }

    /// Layers below the last `stopbackward=1` layer (inclusive) receive no deltas and no updates.
    public var firstTrainedLayer: Int {
        (layers.lastIndex { $0.spec.common.stopBackward }).map { $0 + 1 } ?? 0
    }

    /// Training forward pass with targets (the network input must be filled); every delta is reset first.
    /// `progress` is where the run stands (layers with a schedule, such as DropBlock, use it). `timing`, when given,
    /// receives each layer's wall time.
    public func forwardTraining(truth: TrainingTruth, progress: TrainingProgress = TrainingProgress(),
                                timing: ((Int, Double) -> Void)? = nil) {
        precondition(isTraining, "prepareForTraining() first")
        for layer in layers {
            layer.delta.fill(0)
            layer.cost = nil
        }
        var previous = input.pointer
        for layer in layers {
            let ctx = ForwardContext(input: previous, batch: batch, netWidth: width, netHeight: height,
                                     training: true, workspace: workspace.pointer, truth: truth, progress: progress, threads: threads)
            let start = timing == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            layer.forward(ctx)
            timing?(layer.index, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            previous = layer.output.pointer
        }
    }

    /// Backward pass: deltas flow from the loss layers to the first trained layer; parameter updates accumulate.
    /// `finished` is called with each layer's index, last to first, once that layer's updates are complete (so a
    /// gradient exchange can start on them while earlier layers still compute). `timing`, when given, receives each
    /// layer's wall time.
    public func backward(finished: ((Int) -> Void)? = nil, timing: ((Int, Double) -> Void)? = nil) {
        let first = firstTrainedLayer
        for i in stride(from: layers.count - 1, through: first, by: -1) {
            let layer = layers[i]
            if !layer.spec.common.onlyForward {
                let ctx = BackwardContext(input: i == 0 ? input.pointer : layers[i - 1].output.pointer,
                                          inputDelta: i > first ? layers[i - 1].delta.pointer : nil,
                                          batch: batch, workspace: workspace.pointer, threads: threads)
                let start = timing == nil ? 0 : DispatchTime.now().uptimeNanoseconds
                layer.backward(ctx)
                timing?(i, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            finished?(i)
        }
    }

    /// `--sync-bn`: every batch-norm of the network normalises its training mini-batch with the statistics of all
    /// ranks' mini-batches (`sync.reduce` must be called by every rank in the same order, as backward does); nil
    /// returns to per-process statistics.
    public func synchronizeBatchNorm(_ sync: StatisticsSync?) {
        for layer in layers {
            switch layer {
            case let c as ConvolutionalLayer: c.bn?.sync = sync
            case let c as ConnectedLayer: c.bn?.sync = sync
            case let b as BatchNormLayer: b.bn.sync = sync
            default: break
            }
        }
    }

    /// darknet's network cost: the mean of the loss layers' costs (nil when no layer produced one).
    public var cost: Float? {
        let costs = layers.compactMap(\.cost)
        guard !costs.isEmpty else { return nil }
        return costs.reduce(0, +) / Float(costs.count)
    }

    /// Changes the input size (multi-scale training, `--width/--height`), keeping all parameters.
    public func resize(width: Int, height: Int) throws {
        guard width > 0, height > 0 else { throw SwiftnetError.invalid("network input size must be positive") }
        if width == self.width && height == self.height { return }
        self.width = width
        self.height = height
        try reshapeAll()
    }

    /// Changes the number of images per forward pass.
    public func setBatch(_ batch: Int) {
        guard batch != self.batch else { return }
        self.batch = max(1, batch)
        allocate()
    }

    /// Layers that decode boxes (`[yolo]`, `[region]`), in network order.
    public var detectionLayers: [DetectionLayer] { layers.compactMap { $0 as? DetectionLayer } }

    /// The layer whose output is the network's output: the last one that is not a `[cost]` layer.
    public var outputLayer: Layer { layers.last(where: { !($0 is CostLayer) }) ?? layers[layers.count - 1] }

    /// Runs all layers on `input` (already filled) in inference mode: the first `images` images of the batch (all by
    /// default). `timing`, when given, receives each layer's wall time.
    public func forward(images: Int? = nil, timing: ((Int, Double) -> Void)? = nil) {
        precondition(allocated, "forward on a shape-only network")
        if !inferencePrepared && !isTraining { prepareForInference() }
        let count = min(batch, max(1, images ?? batch))
        var previous = input.pointer
        for layer in layers {
            let ctx = ForwardContext(input: previous, batch: count, netWidth: width, netHeight: height,
                                     training: false, workspace: workspace.pointer, threads: threads)
            if let timing {
                let start = DispatchTime.now().uptimeNanoseconds
                layer.forward(ctx)
                timing(layer.index, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            } else {
                layer.forward(ctx)
            }
            previous = layer.output.pointer
        }
    }

    /// Prepares for inference after loading weights: folds batch-norm, normalises weighted shortcuts. The first
    /// inference pass after new weights does it by itself.
    public func prepareForInference() {
        for layer in layers { layer.prepareForInference() }
        inferencePrepared = true
    }

    /// Whether the weights have been prepared for inference since they last changed.
    private var inferencePrepared = false

    /// Folds batch-norm into the convolution weights in place (darknet's `fuse_conv_batchnorm`) and prepares every
    /// layer for inference, without keeping a second copy of the weights. The network is inference-only from then on:
    /// ``saveWeights(path:header:layerLimit:)`` refuses until weights are loaded again.
    public func foldForInference() {
        for case let conv as ConvolutionalLayer in layers { conv.foldBatchNormInPlace() }
        batchNormFolded = layers.contains { ($0 as? ConvolutionalLayer)?.foldedInPlace == true }
        prepareForInference()
    }

    /// Whether ``foldForInference()`` has replaced raw weights with folded ones.
    public private(set) var batchNormFolded = false

    // MARK: - Weights

    /// The parameter records in `.weights` order, honouring `dontload`/`dontloadscales`.
    public func weightsRecords(saving: Bool = false) -> [WeightsRecord] {
        var records: [WeightsRecord] = []
        for layer in layers {
            var arrays = layer.parameters
            if arrays.isEmpty || layer.spec.common.dontLoad && !saving { continue }
            if let conv = layer as? ConvolutionalLayer {
                if conv.spec.common.dontLoadScales && !saving { arrays.removeAll { ["scales", "rolling_mean", "rolling_variance"].contains($0.name) } }
                if saving, let i = arrays.firstIndex(where: { $0.name == "weights" }) { arrays[i].buffer = conv.untransposedForSaving() }
            }
            records.append(WeightsRecord(layer: layer.index, kind: layer.spec.sectionName,
                                         arrays: arrays.map { ($0.name, $0.buffer.buffer) }))
        }
        return records
    }

    /// Number of float parameters stored in `.weights`.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameters.reduce(0) { $0 + $1.buffer.count } } }

    /// Exact size of this network's `.weights` file (20-byte header).
    public var weightsByteCount: Int { 20 + 4 * parameterCount }

    /// Loads a `.weights` file; any size mismatch is an error unless `allowPartial` (then the file must end at a
    /// layer boundary and the remaining layers keep their initial values).
    @discardableResult
    public func loadWeights(path: String, allowPartial: Bool = false) throws -> WeightsLoadResult {
        let result = try WeightsFile.load(path: path, records: weightsRecords(), allowPartial: allowPartial)
        weightsHeader = result.header
        inferencePrepared = false
        batchNormFolded = false
        for layer in layers {
            if let conv = layer as? ConvolutionalLayer { conv.parametersReplaced(); conv.transposeWeightsForFlipped() }
            if result.header.transposed, let connected = layer as? ConnectedLayer { connected.transposeWeights(fromInputsMajor: true) }
        }
        return result
    }

    /// Saves all parameters with `header` (default: the header of the loaded file, so a load→save is byte-identical);
    /// with `layerLimit` only the records of layers `0 ..< layerLimit` (darknet's `partial`).
    public func saveWeights(path: String, header: WeightsHeader? = nil, layerLimit: Int? = nil) throws {
        if batchNormFolded {
            throw SwiftnetError.invalid("\(path): not written: this network's batch-norm was folded into its weights for inference")
        }
        let h = header ?? weightsHeader
        var transposedConnected: [ConnectedLayer] = []
        if h.transposed {
            for case let connected as ConnectedLayer in layers {
                connected.transposeWeights(fromInputsMajor: false)
                transposedConnected.append(connected)
            }
        }
        defer { for connected in transposedConnected { connected.transposeWeights(fromInputsMajor: true) } }
        let records = weightsRecords(saving: true).filter { $0.layer < (layerLimit ?? Int.max) }
        try WeightsFile.save(path: path, header: h, records: records)
    }

    // MARK: - Table

    /// Total BFLOPS as darknet sums them.
    public var totalBFLOPs: Double { layers.reduce(0) { $0 + $1.bflops } }

    /// darknet's layer table: header, one line per layer (index, type, filters, size/stride, input → output, BFLOPs).
    public func layerTable() -> String {
        var lines = ["   layer   filters  size/strd(dil)      input                output"]
        for layer in layers {
            lines.append(String(format: "%4d ", layer.index) + layer.tableText)
        }
        lines.append(String(format: "Total BFLOPS %5.3f ", totalBFLOPs))
        return lines.joined(separator: "\n")
    }
}

extension Network {
    /// darknet's initialisation for training from scratch: conv weights uniform in ±sqrt(2/fan_in), connected in
    /// ±sqrt(2/inputs), biases 0, batch-norm scales 1 and rolling statistics 0/1.
    public func randomizeParameters(seed: UInt64) {
        inferencePrepared = false
        batchNormFolded = false
        var rng = SeededRandom(seed: seed)
        for layer in layers {
            if let conv = layer as? ConvolutionalLayer {
                let fanIn = Float(conv.weightCount / conv.config.filters)
                let scale = (2 / fanIn).squareRoot()
                conv.parametersReplaced()
                for i in 0..<conv.weights.count { conv.weights[i] = rng.uniform(-scale, scale) }
            } else if let connected = layer as? ConnectedLayer {
                let scale = (2 / Float(connected.inputShape.count)).squareRoot()
                for i in 0..<connected.weights.count { connected.weights[i] = rng.uniform(-scale, scale) }
            }
        }
    }
}
