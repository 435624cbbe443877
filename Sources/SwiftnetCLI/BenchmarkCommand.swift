import ArgumentParser
import Foundation
import SwiftnetCore
import SwiftnetFormat
import SwiftnetLayers
import SwiftnetTrain

struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the network's forward pass on one image (after warm-up): median/min/max ms and GFLOP/s.")

    @OptionGroup var cfgFile: CfgFile

    @Option(help: "Darknet .weights file (default: deterministic random weights).")
    var weights: String?

    @OptionGroup var size: SizeOptions
    @OptionGroup var cfgOptions: CfgOptions

    @Option(parsing: .unconditional, help: "Timed runs after the warm-up.")
    var runs: Int = 10

    @Option(parsing: .unconditional, help: "Warm-up runs (not timed).")
    var warmup: Int = 2

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Print the result as JSON on stdout (the text line goes to stderr): timings, blas_core, cpu, simd.")
    var json = false

    @Flag(help: "Also print the median time of every layer.")
    var perLayer = false

    @Flag(help: "Time training iterations (forward, backward and SGD update on synthetic boxes) instead of inference.")
    var train = false

    @Option(parsing: .unconditional, help: "Images per pass: inference 1 by default, with --train the cfg's batch/subdivisions, with --loader 64.")
    var batch: Int?

    @Flag(help: "Time the training data loader instead (decode + augmentation, one background thread); needs --data.")
    var loader = false

    @Option(help: "Darknet .data file (for --loader).")
    var data: String?

    @Flag(help: "Time forward and backward of every activation on --count floats instead (the Mish paper's Table 6), with ratios to relu; needs no cfg.")
    var activations = false

    @Option(parsing: .unconditional, help: "Floats per activation run (with --activations).")
    var count: Int = 16_777_216

    func validate() throws {
        if activations {
            if cfgFile.path != nil || weights != nil || train || loader || perLayer || batch != nil {
                throw ValidationError("--activations times the activation kernels alone: give no cfg, --weights, --train, --loader, --per-layer or --batch")
            }
            if count < 8 { throw ValidationError("--count must be at least 8") }
            // Four buffers of `count` floats.
            let memory = ProcessInfo.processInfo.physicalMemory
            if UInt64(count) > memory / 32 {
                throw ValidationError("--count \(count) needs \(UInt64(count) * 16 >> 20) MiB in four buffers; at most \(memory / 32) floats fit in half of this machine's memory")
            }
            if runs < 2 { throw ValidationError("--activations needs --runs of at least 2 (for the standard deviation)") }
            return
        }
        if count != 16_777_216 { throw ValidationError("--count goes with --activations") }
        _ = try cfgFile.required()
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if warmup < 0 { throw ValidationError("--warmup must not be negative") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        if loader && data == nil { throw ValidationError("--loader needs --data") }
        if !loader && data != nil { throw ValidationError("--data goes with --loader") }
        if loader && train { throw ValidationError("give --train or --loader, not both") }
    }

    func run() throws {
        try reportingErrors {
            try configureThreads(threads)
            if activations {
                benchmarkActivations()
                return
            }
            let cfg = try cfgFile.required()
            let config = try cfgOptions.load(cfg)
            if train {
                try benchmarkTraining(config)
                return
            }
            if loader {
                let result = try LoaderBenchmark.run(config: config, cfgPath: cfg, dataPath: data!, images: batch ?? 64,
                                                     runs: runs, width: size.width, height: size.height)
                emit(String(format: "%@ loader, %dx%d, %d images per batch (%@): %.1f images/s on one thread (median of %d)",
                            cfg, result.width, result.height, result.images, result.mode, result.imagesPerSecond, runs),
                     ["images_per_s": result.imagesPerSecond, "width": result.width, "height": result.height])
                return
            }
            let images = batch ?? 1
            let network = try Network(config: config, batch: images, width: size.width, height: size.height)
            if let weights {
                try network.loadWeights(path: weights)
            } else {
                network.randomizeParameters(seed: 1)
            }
            network.foldForInference()
            // As detect runs it: outputs that are no longer read share buffers.
            network.planMemory()
            var rng = SeededRandom(seed: 7)
            for i in 0..<network.input.count { network.input[i] = rng.nextFloat() }
            for _ in 0..<warmup { network.forward() }
            var times: [Double] = []
            var layerTimes = [[Double]](repeating: [], count: network.layers.count)
            for _ in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                if perLayer {
                    network.forward { index, seconds in layerTimes[index].append(seconds) }
                } else {
                    network.forward()
                }
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
            let gflops = Double(images) * network.totalBFLOPs / (median / 1000)
            var lines = [String(format: "%@ %dx%d, %d threads%@: median %.1f ms, min %.1f ms, max %.1f ms, %.1f GFLOP/s (%.3f BFLOPs), %.1f images/s",
                                cfg, network.width, network.height, network.threads, images > 1 ? ", batch \(images)" : "", median,
                                times.first!, times.last!, gflops, network.totalBFLOPs, Double(images) * 1000 / median),
                         String(format: "activation memory: %.1f MB (outputs shared by liveness, scratch included)", Double(network.activationBytes) / 1e6)]
            var perLayerMs: [Double] = []
            if perLayer {
                for (i, layer) in network.layers.enumerated() {
                    let t = layerTimes[i].sorted()
                    let m = t[t.count / 2] * 1000
                    perLayerMs.append(m)
                    lines.append(String(format: "%4d %-16@ %8.2f ms  %@", i, layer.typeName as NSString, m, layer.tableText))
                }
            }
            var fields: [String: Any] = ["median_ms": median, "min_ms": times.first!, "max_ms": times.last!, "gflops": gflops,
                                         "bflops": network.totalBFLOPs, "width": network.width, "height": network.height,
                                         "batch": images, "images_per_s": Double(images) * 1000 / median,
                                         "peak_activation_bytes": network.activationBytes]
            if perLayer { fields["layer_ms"] = perLayerMs }
            emit(lines.joined(separator: "\n"), fields)
        }
    }

    /// Prints the result: the text on stdout, or with --json the text on stderr and one JSON object on stdout with the
    /// run's facts (threads, BLAS kernel, CPU) added.
    func emit(_ text: String, _ fields: [String: Any]) {
        guard json else {
            print(text)
            return
        }
        writeStderr(text + "\n")
        var all = fields
        let cpu = CPUFeatures.current
        all["threads"] = Parallel.threads
        all["blas_core"] = BLASKernel.state.core
        all["blas_core_reported"] = BLASKernel.state.reportedCore
        all["cpu"] = "\(cpu.vendor) family \(cpu.family) model \(cpu.model)"
        all["simd"] = cpu.simd
        if let data = try? JSONSerialization.data(withJSONObject: all, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// Table 6: every activation's forward and backward time on `count` floats, median ± std and the ratio to relu.
    func benchmarkActivations() {
        let timings = ActivationBenchmark.run(count: count, runs: runs, warmup: warmup)
        var lines = [String(format: "activations on %d floats, %d threads, median ± std of %d runs (µs); ratio to relu", count, Parallel.threads, runs),
                     "activation          forward (µs)          backward (µs)   fwd/relu  bwd/relu"]
        var table: [String: Any] = [:]
        for t in timings {
            lines.append(String(format: "%-12@ %10.0f ± %-8.0f %10.0f ± %-8.0f %8.2f  %8.2f", t.function.description as NSString,
                                t.forwardMicroseconds, t.forwardStd, t.backwardMicroseconds, t.backwardStd, t.forwardRatio, t.backwardRatio))
            table[t.function.description] = ["forward_us": t.forwardMicroseconds, "forward_std_us": t.forwardStd,
                                             "backward_us": t.backwardMicroseconds, "backward_std_us": t.backwardStd,
                                             "forward_ratio": t.forwardRatio, "backward_ratio": t.backwardRatio]
        }
        emit(lines.joined(separator: "\n"), ["count": count, "runs": runs, "activations": table])
    }

    /// Training throughput: iterations of forward + backward + SGD on random images with a few random boxes each.
    func benchmarkTraining(_ config: NetworkConfig) throws {
        let cfg = try cfgFile.required()
        let images = batch ?? config.net.miniBatch
        let network = try Network(config: config, batch: images, width: size.width, height: size.height)
        try network.prepareForTraining()
        if let weights { try network.loadWeights(path: weights) } else { network.randomizeParameters(seed: 1) }
        var rng = SeededRandom(seed: 7)
        for i in 0..<network.input.count { network.input[i] = rng.nextFloat() }
        let classes = network.detectionLayers.last?.classes ?? 1
        let truth = TrainingTruth(boxes: (0..<images).map { _ in
            (0..<4).map { _ in LabelBox(classID: Int(rng.next() % UInt64(classes)), x: rng.uniform(0.2, 0.8), y: rng.uniform(0.2, 0.8),
                                        w: rng.uniform(0.05, 0.4), h: rng.uniform(0.05, 0.4)) }
        })
        let sgd = Optimizer(momentum: 0.9, decay: 0.0005)
        var forwardTimes = [[Double]](repeating: [], count: network.layers.count)
        var backwardTimes = [[Double]](repeating: [], count: network.layers.count)
        func iteration(timed: Bool) {
            network.forwardTraining(truth: truth, timing: timed ? { forwardTimes[$0].append($1) } : nil)
            network.backward(timing: timed ? { backwardTimes[$0].append($1) } : nil)
            sgd.step(network: network, rate: 1e-6, imagesPerIteration: images, iteration: 1)
        }
        for _ in 0..<warmup { iteration(timed: false) }
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            iteration(timed: perLayer)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        let median = times[times.count / 2]
        var lines = [String(format: "%@ %dx%d, batch %d, %d threads: %.3f s per iteration (median of %d), %.2f images/s",
                            cfg, network.width, network.height, images, network.threads, median, runs, Double(images) / median)]
        var fields: [String: Any] = ["median_s": median, "images_per_s": Double(images) / median, "batch": images]
        if perLayer {
            func median(_ t: [Double]) -> Double { t.isEmpty ? 0 : t.sorted()[t.count / 2] * 1000 }
            lines.append("layer                forward   backward (ms, median)")
            for (i, layer) in network.layers.enumerated() {
                lines.append(String(format: "%4d %-12@ %9.2f %9.2f  %@", i, layer.typeName as NSString, median(forwardTimes[i]),
                                    median(backwardTimes[i]), layer.tableText))
            }
            fields["layer_forward_ms"] = forwardTimes.map(median)
            fields["layer_backward_ms"] = backwardTimes.map(median)
        }
        emit(lines.joined(separator: "\n"), fields)
    }
}
