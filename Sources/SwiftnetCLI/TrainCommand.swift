import ArgumentParser
import Dispatch
import Foundation
import SwiftnetData
import SwiftnetFormat
import SwiftnetTrain

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a detector or classifier (darknet's detector/classifier train): checkpoints, resume, chart.png, mAP during training.",
        discussion: """
        Checkpoints go to the .data file's backup= directory (or --backup), NAME being the cfg file name up to its first \
        dot: NAME_last.weights every savelast= (100) iterations, NAME_N.weights every saveweights= (1000; 10000 when \
        max_batches ≥ 10000), NAME_best.weights with --map, NAME_ema.weights with ema_alpha, NAME_final.weights at the end.
        Starting from a checkpoint continues at its iteration; --clear restarts the schedule. Ctrl-C, SIGTERM or SIGHUP \
        saves NAME_last.weights and stops with status 130/143/129; a second one stops at once without saving.
        """)

    @OptionGroup var cfgFile: CfgFile

    @Option(help: "Darknet .data file (classes, train, valid, names, backup). Without it: the built-in shapes demo dataset.")
    var data: String?

    @Option(help: "Initial weights: a checkpoint to resume, pretrained weights, or a partial backbone file.")
    var weights: String?

    @Flag(help: "Evaluate mAP@0.5 on the valid list during training and keep NAME_best.weights.")
    var map = false

    @Option(parsing: .unconditional, help: "Iterations between mAP evaluations (default: 4 epochs, at least 100).")
    var mapInterval: Int?

    @Option(help: "Checkpoint directory (overrides the .data file's backup=).")
    var backup: String?

    @Flag(help: "Start at iteration 0 even if the weights record a training position.")
    var clear = false

    @Option(parsing: .unconditional, help: "Train this many iterations in total (overrides max_batches).")
    var maxBatches: Int?

    @Flag(help: "Skip (and list) training images that check-data finds errors in, instead of refusing the dataset.")
    var skipBad = false

    @Option(parsing: .unconditional, help: "Seed for initialisation, sampling and augmentation.")
    var seed: UInt64 = 1

    @Flag(help: "Under mpirun: batch-norm statistics over every rank's mini-batch together (default: each rank's own).")
    var syncBn = false

    @OptionGroup var size: SizeOptions
    @OptionGroup var cfgOptions: CfgOptions

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        _ = try cfgFile.required()
        if let maxBatches, maxBatches < 1 { throw ValidationError("--max-batches must be at least 1") }
        if let mapInterval, mapInterval < 1 { throw ValidationError("--map-interval must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            try configureThreads(threads)
            let collective = try Distributed.collective()
            let cfg = try cfgFile.required()
            let userOverrides = try cfgOptions.parsedOverrides()
            let parsed = try cfgOptions.load(cfg)   // unused-key warnings (errors with --strict) before any compute
            var options = TrainOptions(cfgPath: cfg, dataPath: data ?? "")
            options.overrides = userOverrides
            options.backup = backup
            if data == nil {
                let demo = try DemoTraining.prepare(cfg: cfg, config: parsed, backup: backup)
                options.dataPath = demo.dataFile
                options.overrides += demo.overrides
                options.backup = demo.backup
            }
            options.weightsPath = weights
            options.clear = clear
            options.maxBatches = maxBatches
            options.seed = seed
            options.skipBad = skipBad
            options.map = map
            options.mapInterval = mapInterval
            options.width = size.width
            options.height = size.height
            options.collective = collective
            options.syncBatchNorm = syncBn
            if syncBn && !collective.isDistributed {
                printError("note: --sync-bn has no effect in one process (start several with mpirun -np N)")
            }
            let trainer = try Trainer(options: options, events: { event in
                // The console shows darknet-like lines; silent events (the periodic _last saves) print nothing.
                guard let line = event.message else { return }
                print(line)
                fflush(stdout)
            })
            let leader = collective.isLeader
            if leader {
                for line in trainer.describeStart() { print(line) }
                fflush(stdout)
                for warning in trainer.warnings { printError("warning: " + warning) }
            }
            let interrupt = InterruptFlag()
            if collective.isDistributed && leader {
                // mpirun answers Ctrl-C with SIGTERM to every rank and SIGKILL a second later: save at once.
                interrupt.onFirst = {
                    if let path = try? trainer.save("last") {
                        writeStderr("saved \(path) at iteration \(trainer.iteration) at once (mpirun may stop the ranks before this iteration ends)\n")
                    }
                }
            }
            let summary: TrainSummary
            do {
                summary = try trainer.run(stop: { interrupt.isSet })
            } catch let error as TrainingError {
                printError("error: \(error.description)")
                throw ExitCode.failure
            }
            guard leader else {
                if summary.interrupted { throw interrupt.exitCode }
                return
            }
            if summary.communicationSeconds > 0 {
                print(String(format: "gradient exchange (MPI_Allreduce, %d ranks): %.2f s of %.1f s (%.1f %%)", collective.size,
                             summary.communicationSeconds, summary.seconds, 100 * summary.communicationSeconds / max(summary.seconds, 1e-9)))
            }
            if summary.interrupted {
                // Saved, but not finished: a non-zero status keeps `train … && next-step` from going on.
                print("interrupted at iteration \(summary.iterations); saved \(summary.weightsPath)")
                throw interrupt.exitCode
            } else {
                print(String(format: "done: %d iterations (%d this run) in %.0f s, %.1f images/s; final loss %.4f, avg %.4f",
                             summary.iterations, summary.iterations - summary.startIteration, summary.seconds, summary.imagesPerSecond,
                             Double(summary.lastLoss), Double(summary.averageLoss)))
                if let best = summary.bestMAP {
                    let metric = trainer.isClassifier ? "top-1 accuracy" : "mAP@0.50"
                    print(String(format: "best %@ = %.4f, last = %.4f", metric, Double(best), Double(summary.lastMAP ?? 0)))
                }
                print("weights: \(summary.weightsPath)")
            }
        }
    }
}

/// `swiftnet train CFG` without `--data`: the shapes demo dataset from the cache, the cfg's heads resized to its
/// classes, checkpoints in `./backup` — each said in the first lines.
enum DemoTraining {
    static func prepare(cfg: String, config: NetworkConfig, backup: String?) throws -> (dataFile: String, overrides: [CfgOverride], backup: String) {
        guard let heads = config.outputHeads else {
            throw SwiftnetError.invalid("\(cfg): swiftnet trains detectors ([yolo] heads) and classifiers ([softmax] output); this network has neither")
        }
        let kind: DemoDataset.Kind = heads.isDetector ? .detection : .classification
        let demo = try DemoDataset.prepare(kind) { print($0); fflush(stdout) }
        let classes = DemoDataset.classes
        let folder = backup ?? "backup"
        print("no --data: training on the shapes demo \(kind == .detection ? "detection" : "classification") dataset (\(classes) classes: \(ShapesDataset.classNames.joined(separator: ", "))) in \(demo.directory)")
        var overrides: [CfgOverride] = []
        if heads.classes != classes {
            overrides = heads.overrides(classes: classes)
            print("heads resized from \(heads.classes) to \(classes) classes (\(heads.isDetector ? "classes= of each [yolo] and filters= of the convolution before it" : "the classifier's output layer"))")
        }
        print("checkpoints in \(folder)/; to train on your own data: swiftnet train \(cfg) --data obj.data (darknet's .data file: classes=, train=, valid=, names=, backup=)")
        fflush(stdout)
        return (demo.dataFile, overrides, folder)
    }
}

/// Catches SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) so that training can save `_last.weights` and stop between iterations (then exit with
/// 128 + the signal's number); a second signal while it finishes the iteration (or an mAP evaluation) exits at once
/// with status 130, without saving.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var received: Int32?
    private var sources: [DispatchSourceSignal] = []
    /// Runs once, on the first signal (on the signal queue).
    var onFirst: (() -> Void)?

    init() {
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            lock.lock()
            let index = sources.count
            sources.append(source)
            lock.unlock()
            source.setEventHandler { [unowned self] in
                lock.lock()
                // Signals arriving together are coalesced into one event; `data` counts them.
                let second = flag || sources[index].data > 1
                flag = true
                if received == nil { received = number }
                lock.unlock()
                if second {
                    writeStderr("\ninterrupted again: stopping now without saving\n")
                    _exit(130)   // at once: no atexit handlers or destructors while the training threads still run
                }
                if Distributed.isLeader {
                    writeStderr("\ninterrupt: finishing this iteration, saving _last.weights and stopping (interrupt again to stop at once)\n")
                }
                lock.lock()
                let action = onFirst
                onFirst = nil
                lock.unlock()
                action?()
            }
            source.resume()
        }
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return flag
    }

    /// The shell's status for a run stopped by the first signal: 128 + its number (130 for Ctrl-C, 143 for SIGTERM).
    var exitCode: ExitCode {
        lock.lock()
        defer { lock.unlock() }
        return ExitCode(128 + (received ?? SIGINT))
    }
}
