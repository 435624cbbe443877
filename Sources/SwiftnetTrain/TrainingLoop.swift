import Foundation
import SwiftnetCore
import SwiftnetData
import SwiftnetFormat
import SwiftnetLayers

/// The training loop: one loop for detectors and classifiers (the ``TrainingTask`` supplies what differs), reporting
/// through typed ``TrainingEvent``s; the gradient exchange (``GradientExchange``) is its one step that talks to the
/// other ranks during an iteration.
extension Trainer {
    /// Runs until `max_batches` (or until `stop()` returns true, checked between iterations).
    public func run(stop: () -> Bool = { false }) throws -> TrainSummary {
        let start = Date()
        let startIteration = iteration
        let net = config.net
        let saveEvery = dataset.saveWeightsEvery ?? (maxBatches < 10000 ? 1000 : 10000)
        let lastEvery = dataset.saveLastEvery ?? 100
        var lastSave = iteration, lastLast = iteration
        var averageLoss: Float = -1
        var lastLoss: Float = 0
        var bestMAP: Float?
        var lastMAP: Float?
        var nextMap = nextEvaluation(after: iteration)
        var loops = 0
        var interrupted = false
        var lastChart = Date.distantPast
        var lastPartial = Date.distantPast
        let sgd = Optimizer(net: net)
        // The first multi-scale size (the largest) applies from the very first batch, as in darknet.
        if let random = lastYolo?.random, random != 0 { try chooseScale(first: true) }
        loader.prefetch()
        let exchangeSecondsAtStart = exchange.seconds
        do {
            try exchange.verifyIdentical(iteration: iteration)
            while iteration < maxBatches {
                // Ranks agree on stopping through the iteration's sums (below); one process checks here.
                if !collective.isDistributed && stop() { interrupted = true; break }
                let iterationStart = Date()
                if let random = lastYolo?.random, random != 0, loops % 10 == 0, loops > 0 { try chooseScale(first: false) }
                loops += 1
                let batch = try loader.next()
                if batch.width != network.width || batch.height != network.height {
                    try network.resize(width: batch.width, height: batch.height)
                }
                var loss: Float = 0
                let mb = passImages
                let size = 3 * batch.width * batch.height
                exchange.beginIteration()
                for s in 0..<passes {
                    batch.input.withUnsafeBufferPointer { src in
                        network.input.pointer.update(from: src.baseAddress! + s * mb * size, count: mb * size)
                    }
                    network.forwardTraining(truth: batch.truth(images: (s * mb)..<((s + 1) * mb), classes: dataset.classes),
                                            progress: TrainingProgress(iteration: iteration, maxBatches: maxBatches))
                    let reported = task.cost(of: network)
                    guard let cost = reported else {
                        throw SwiftnetError.cfg(path: options.cfgPath, line: network.outputLayer.spec.line,
                                                message: "the output layer computes no loss (noloss=1?), so there is nothing to train")
                    }
                    guard cost.isFinite else {
                        throw nanError("the loss", paths: Array(batch.paths[(s * mb)..<((s + 1) * mb)]))
                    }
                    try exchange.checkStatistics()
                    loss += cost
                    if s + 1 < passes {
                        network.backward()
                    } else {
                        // The last pass completes each layer's updates: its gradient buckets go out as backward proceeds.
                        var exchangeError: Error?
                        network.backward { [exchange] index in
                            guard exchangeError == nil else { return }
                            do { try exchange.layerFinished(index) } catch { exchangeError = error }
                        }
                        if let exchangeError { throw exchangeError }
                        try exchange.checkStatistics()
                    }
                    // Large networks take minutes per iteration: say how it goes inside one, at most every 10 s.
                    if s + 1 < passes, Date().timeIntervalSince(lastPartial) >= 10, Date().timeIntervalSince(iterationStart) >= 10 {
                        lastPartial = Date()
                        let images = (s + 1) * mb * collective.size
                        let rate = Double(images + (iteration - startIteration) * imagesPerIteration) / max(Date().timeIntervalSince(start), 1e-9)
                        let left = Double((maxBatches - iteration) * imagesPerIteration - images) / max(rate, 1e-9)
                        emit(.progress(iteration: iteration + 1, maxBatches: maxBatches, images: images, of: imagesPerIteration,
                                       imagesPerSecond: rate, secondsLeft: left))
                    }
                }
                try exchange.finishIteration()
                let totals = try exchange.sum([Double(loss), collective.isDistributed && stop() ? 1 : 0])
                loss = Float(totals[0]) / Float(imagesPerIteration)
                let stopAfterThis = totals[1] > 0
                if !updatesAreFinite() { throw nanError("the gradients", paths: batch.paths) }
                let rate = schedule.rate(at: iteration + 1)
                guard rate.isFinite else {
                    throw SwiftnetError.cfg(path: options.cfgPath, line: net.line,
                                            message: "the learning rate at iteration \(iteration + 1) is \(rate) (policy \(net.policy.rawValue)); check the schedule's keys")
                }
                stateLock.lock()
                iteration += 1
                sgd.step(network: network, rate: rate, imagesPerIteration: imagesPerIteration, iteration: iteration,
                         firstLayer: network.firstTrainedLayer)
                stepEMA()
                stateLock.unlock()
                if collective.isDistributed && iteration % 10 == 0 { try exchange.verifyIdentical(iteration: iteration) }
                lastLoss = loss
                averageLoss = averageLoss < 0 || averageLoss.isNaN ? loss : 0.9 * averageLoss + 0.1 * loss
                chart.add(iteration: iteration, averageLoss: averageLoss)
                let seconds = Date().timeIntervalSince(iterationStart)
                let elapsed = Date().timeIntervalSince(start)
                let done = iteration - startIteration
                let eta = elapsed / Double(max(1, done)) * Double(maxBatches - iteration)
                emit(.iteration(TrainingEvent.IterationReport(
                    iteration: iteration, maxBatches: maxBatches, loss: loss, averageLoss: averageLoss, learningRate: rate, seconds: seconds,
                    imagesPerSecond: Double(imagesPerIteration) / max(seconds, 1e-9), secondsLeft: eta,
                    size: network.width != config.net.width ? (network.width, network.height) : nil)))
                if iteration >= lastSave + saveEvery || iteration % saveEvery == 0 {
                    lastSave = iteration
                    try exchange.averageStatistics()
                    emit(.checkpoint(kind: .numbered(iteration), path: try save("\(iteration)")))
                }
                if saveEvery > lastEvery && (iteration >= lastLast + lastEvery || (iteration % lastEvery == 0 && iteration > 1)) {
                    lastLast = iteration
                    try exchange.averageStatistics()
                    emit(.checkpoint(kind: .last, path: try save("last")))
                    if let ema, ema.isInitialized, let path = try saveEMA() { emit(.checkpoint(kind: .ema, path: path)) }
                }
                if task.hasValidation && (iteration >= nextMap || iteration == maxBatches) {
                    nextMap = nextEvaluation(after: iteration)
                    try exchange.averageStatistics()
                    let map = try evaluateMetric()
                    lastMAP = map
                    chart.add(iteration: iteration, map: map)
                    let best = map >= (bestMAP ?? -1)
                    if best { bestMAP = map }
                    emit(.evaluation(metric: task.metricName, value: map, best: bestMAP ?? 0, savedBest: best ? try save("best") : nil))
                }
                if Date().timeIntervalSince(lastChart) > 10 || iteration == maxBatches {
                    lastChart = Date()
                    try writeChart(averageLoss: averageLoss, eta: eta)
                }
                if stopAfterThis { interrupted = true; break }
            }
        } catch let error as TrainingError {
            throw error
        } catch {
            // A data, evaluation or disk error: keep what was trained (the weights are finite, checked every update).
            if iteration > startIteration, let path = try? save("last") {
                emit(.stoppedByError(iteration: iteration, savedPath: path))
            }
            throw error
        }
        try exchange.averageStatistics()
        let finalPath = interrupted ? try save("last") : try save("final")
        try writeChart(averageLoss: averageLoss, eta: 0)
        let seconds = Date().timeIntervalSince(start)
        return TrainSummary(startIteration: startIteration, iterations: iteration, lastLoss: lastLoss, averageLoss: averageLoss,
                            bestMAP: bestMAP, lastMAP: lastMAP, seconds: seconds,
                            imagesPerSecond: Double((iteration - startIteration) * imagesPerIteration) / max(seconds, 1e-9),
                            communicationSeconds: exchange.seconds - exchangeSecondsAtStart,
                            interrupted: interrupted, weightsPath: finalPath)
    }

    /// darknet: `max(last + interval, burn_in)`; an explicit `--map-interval` is taken as given.
    func nextEvaluation(after last: Int) -> Int {
        options.mapInterval != nil ? last + mapInterval : max(last + mapInterval, config.net.burnIn)
    }

    var mapInterval: Int {
        if let interval = options.mapInterval { return max(1, interval) }
        let epochs4 = 4 * dataset.trainPaths.count / max(1, imagesPerIteration)
        return max(100, epochs4)
    }

    /// The largest input a run trains at: the first multi-scale size when `random` is set, else the input size.
    static func largestInput(config: NetworkConfig, lastYolo: YoloConfig?, width: Int?, height: Int?) -> (width: Int, height: Int) {
        let net = config.net
        let w0 = width ?? net.width, h0 = height ?? net.height
        guard let random = lastYolo?.random, random != 0 else { return (w0, h0) }
        let factor = random == 1 ? 1.4 : random
        let step = max(1, net.resizeStep)
        func dimension(_ base: Int) -> Int { max(step, Int((factor * Float(base) / Float(step) + 1).rounded()) * step) }
        return (max(w0, dimension(w0)), max(h0, dimension(h0)))
    }

    /// Multi-scale training (spec §5.4): every 10 iterations a new size `round(v·W0/step + 1)·step`.
    func chooseScale(first: Bool) throws {
        let net = config.net
        let random = lastYolo?.random ?? 0
        let factor = random == 1 ? 1.4 : random
        let step = max(1, net.resizeStep)
        let w0 = options.width ?? net.width, h0 = options.height ?? net.height
        func dimension(_ base: Int, _ v: Float) -> Int { Int((v * Float(base) / Float(step) + 1).rounded()) * step }
        var w: Int, h: Int
        if first || iteration + 100 > maxBatches {
            w = dimension(w0, factor)
            h = dimension(h0, factor)
        } else {
            let v = randScale(factor)
            w = dimension(w0, v)
            h = dimension(h0, v)
            if v < 1 && (w > w0 || h > h0) { w = w0; h = h0 }
        }
        w = max(step, w)
        h = max(step, h)
        if first {
            emit(.note("multi-scale training (random=\(random)): every 10 iterations a size around \(w0)×\(h0) in steps of \(step); the first batches at the largest, \(w)×\(h)"))
        }
        loader.setSize(width: w, height: h)
    }

    func randScale(_ s: Float) -> Float {
        let lo = min(1, s), hi = max(1, s)
        let u = lo + (hi - lo) * rng.nextFloat()
        return rng.next() & 1 == 0 ? u : 1 / u
    }

    func stepEMA() {
        guard let ema else { return }
        if iteration >= maxBatches / 2 && iteration < maxBatches - 1000 {
            if !ema.isInitialized { ema.initialize(from: network) } else { ema.update(from: network) }
        } else if iteration == maxBatches - 1000 && ema.isInitialized {
            ema.apply(to: network)
            emit(.note("EMA weights applied at iteration \(iteration)"))
        }
    }

    func updatesAreFinite() -> Bool {
        for layer in network.layers {
            for t in layer.trainables {
                var sum: Float = 0
                let p = t.update.pointer
                // x·0 is NaN exactly when x is NaN or infinite, so one sum checks the whole array.
                for i in 0..<t.update.count { sum += p[i] * 0 }
                if !sum.isFinite { return false }
            }
        }
        return true
    }

    func nanError(_ what: String, paths: [[String]]) -> TrainingError {
        TrainingError(description: "\(what) became NaN or infinite at iteration \(iteration + 1); training stopped, no weights were written for this iteration. Images of the batch:\n  "
                      + paths.map { $0.joined(separator: " + ") }.joined(separator: "\n  ")
                      + "\nCheck these images and labels, or lower learning_rate / raise burn_in in the cfg.")
    }

    func writeChart(averageLoss: Float, eta: Double) throws {
        guard collective.isLeader else { return }
        let footer = String(format: "avg loss %.3f  iteration %d/%d  time left %@", Double(max(0, averageLoss)), iteration, maxBatches, formatDuration(eta))
        try ImageIO.write(chart.render(footer: footer), to: backup + "/chart.png")
    }
}
