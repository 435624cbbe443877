import Foundation
import SwiftnetCore
import SwiftnetLayers

/// The one place where ranks meet during training: the gradient sums (in buckets started while backward still runs
/// on earlier layers), the batch-norm statistics (`--sync-bn` in every pass; the rolling ones before saves), and a
/// checksum proving that every rank holds the same weights. With one process every call returns at once.
final class GradientExchange {
    private let collective: Collective
    private let network: Network
    /// Trainables packed in backward order into buffers of about `bucketBytes`; a bucket is sent when backward has
    /// finished its lowest layer (`bucketsClosingAt`).
    private struct Bucket {
        var trainables: [Trainable]
        var buffer: Buffer
    }
    private var buckets: [Bucket] = []
    private var bucketsClosingAt: [Int: [Int]] = [:]
    private var started: [Bool] = []
    /// Wall time spent in communication (packing, starting, progressing, waiting, unpacking).
    private(set) var seconds: Double = 0

    init(network: Network, collective: Collective, bucketBytes: Int = 4 << 20) {
        self.network = network
        self.collective = collective
        guard collective.isDistributed else { return }
        var current: [Trainable] = []
        var bytes = 0
        let first = network.firstTrainedLayer
        for i in stride(from: network.layers.count - 1, through: first, by: -1) {
            let trainables = network.layers[i].trainables
            if trainables.isEmpty { continue }
            current += trainables
            bytes += trainables.reduce(0) { $0 + 4 * $1.update.count }
            if bytes >= bucketBytes || i == first {
                close(&current, at: i)
                bytes = 0
            }
        }
        if !current.isEmpty { close(&current, at: first) }
        started = [Bool](repeating: false, count: buckets.count)
    }

    /// The first failure of an exchange made from inside a kernel (`--sync-bn`), where it cannot be thrown.
    private let statisticsFailure = FailureBox()

    /// `--sync-bn`: every batch-norm of the network normalises with the statistics summed over the ranks.
    func synchronizeBatchNorm() {
        guard collective.isDistributed else { return }
        let collective = self.collective, failure = statisticsFailure
        network.synchronizeBatchNorm(StatisticsSync(ranks: collective.size) { values, count in
            guard failure.error == nil else { return }
            do {
                let summed = try collective.allreduceSum(Array(UnsafeBufferPointer(start: values, count: count)))
                for k in 0..<count { values[k] = summed[k] }
            } catch { failure.error = error }
        })
    }

    /// Throws the failure of a statistics exchange made during the last pass, if any.
    func checkStatistics() throws {
        if let error = statisticsFailure.error { throw error }
    }

    private func close(_ trainables: inout [Trainable], at layer: Int) {
        let count = trainables.reduce(0) { $0 + $1.update.count }
        bucketsClosingAt[layer, default: []].append(buckets.count)
        buckets.append(Bucket(trainables: trainables, buffer: Buffer(count: count)))
        trainables = []
    }

    /// Before an iteration's first pass: the update buffers carry the momentum of the last step, the same on every
    /// rank; only rank 0 keeps it, so that the sum adds it once.
    func beginIteration() {
        guard collective.isDistributed else { return }
        started = [Bool](repeating: false, count: buckets.count)
        guard !collective.isLeader else { return }
        for bucket in buckets { for t in bucket.trainables { t.update.fill(0) } }
    }

    /// Called by backward of the iteration's last pass after layer `index`: sends the buckets that are complete.
    func layerFinished(_ index: Int) throws {
        guard collective.isDistributed else { return }
        let clock = Date()
        defer { seconds += Date().timeIntervalSince(clock) }
        for b in bucketsClosingAt[index] ?? [] {
            let bucket = buckets[b]
            var offset = 0
            let target = bucket.buffer.pointer
            for t in bucket.trainables {
                (target + offset).update(from: t.update.pointer, count: t.update.count)
                offset += t.update.count
            }
            try collective.startAllreduceSum(target, count: bucket.buffer.count)
            started[b] = true
        }
        try collective.progress()
    }

    /// After backward: waits for every bucket and writes the sums back into the update buffers.
    func finishIteration() throws {
        guard collective.isDistributed else { return }
        let clock = Date()
        defer { seconds += Date().timeIntervalSince(clock) }
        // A layer below firstTrainedLayer never reports; send what is left (there should be nothing).
        for b in buckets.indices where !started[b] {
            try collective.startAllreduceSum(buckets[b].buffer.pointer, count: buckets[b].buffer.count)
        }
        try collective.waitAll()
        for bucket in buckets {
            var offset = 0
            let source = bucket.buffer.pointer
            for t in bucket.trainables {
                t.update.pointer.update(from: source + offset, count: t.update.count)
                offset += t.update.count
            }
        }
    }

    /// Sums small per-iteration values (loss, flags) over the ranks.
    func sum(_ values: [Double]) throws -> [Double] {
        guard collective.isDistributed else { return values }
        let clock = Date()
        defer { seconds += Date().timeIntervalSince(clock) }
        return try collective.allreduceSum(values)
    }

    /// Replaces every rank's rolling batch-norm statistics (the saved arrays that are not trained) by their mean over
    /// the ranks, before a checkpoint or an evaluation.
    func averageStatistics() throws {
        guard collective.isDistributed else { return }
        let clock = Date()
        defer { seconds += Date().timeIntervalSince(clock) }
        let scale = 1 / Float(collective.size)
        for layer in network.layers {
            let trained = Set(layer.trainables.map { ObjectIdentifier($0.value) })
            for parameter in layer.parameters where !trained.contains(ObjectIdentifier(parameter.buffer)) {
                try collective.allreduceSum(parameter.buffer.pointer, count: parameter.buffer.count)
                let p = parameter.buffer.pointer
                for i in 0..<parameter.buffer.count { p[i] *= scale }
            }
        }
    }

    /// Throws when the ranks' weights differ beyond rounding (a sum and a position-weighted sum of every trained value, compared by
    /// their maximum and minimum over the ranks).
    func verifyIdentical(iteration: Int) throws {
        guard collective.isDistributed else { return }
        var sum = 0.0, weighted = 0.0
        for layer in network.layers {
            for t in layer.trainables {
                let p = t.value.pointer
                for i in 0..<t.value.count {
                    let v = Double(p[i])
                    sum += v
                    weighted += v * Double(i % 13 + 1)
                }
            }
        }
        let extremes = try collective.allreduceMax([sum, -sum, weighted, -weighted])
        // Equal bit for bit on one kind of CPU; the tolerance lets ranks on CPUs with other vector widths run.
        for (high, low) in [(extremes[0], -extremes[1]), (extremes[2], -extremes[3])] where abs(high - low) > 1e-6 * max(1, abs(high)) {
            throw TrainingError(description: String(format:
                "the ranks' weights differ at iteration %d (checksums from %.9g to %.9g): every rank must start from the same --weights and cfg", iteration, low, high))
        }
    }
}

/// An error recorded where it cannot be thrown (inside a kernel's callback), thrown by the caller afterwards.
final class FailureBox: @unchecked Sendable {
    var error: Error?
}
