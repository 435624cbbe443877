import Foundation
import SwiftnetCore
import SwiftnetFormat

/// Inference memory by liveness: a layer's output buffer is reused once its last reader has run. Readers are the
/// next layer (its input) and the layers that name it (`route`, `shortcut`, `sam`, `scale_channels`); the outputs
/// callers read after a pass — detection heads and the output layer — stay whole to the end.
struct MemoryPlan {
    /// For every layer, the index of the shared buffer its output lives in.
    var slots: [Int]
    /// Floats per shared buffer (per batch image).
    var capacities: [Int]

    /// The layers whose output `layer` reads besides its input.
    static func references(of layer: Layer) -> [Int] {
        switch layer.spec.config {
        case .route(let c): return c.layers
        case .shortcut(let c): return c.from
        case .sam(let c): return [c.from]
        case .scaleChannels(let c): return [c.from]
        default: return []
        }
    }

    /// Interval colouring in layer order: a layer takes the best-fitting buffer no live output holds (growing the
    /// largest free one if none is big enough), or a new one.
    init(layers: [Layer], keep: Set<Int>) {
        let n = layers.count
        var lastUse = (0..<n).map { $0 + 1 }
        for (j, layer) in layers.enumerated() {
            for i in Self.references(of: layer) where i >= 0 && i < n { lastUse[i] = max(lastUse[i], j) }
        }
        for i in keep { lastUse[i] = Int.max }
        slots = [Int](repeating: 0, count: n)
        capacities = []
        var owner: [Int?] = []   // the layer whose output a buffer holds now
        for (i, layer) in layers.enumerated() {
            let need = layer.outputShape.count
            // Buffers whose holder has been read for the last time (by a layer before this one) are free.
            let free = owner.indices.filter { s in owner[s].map { lastUse[$0] < i } ?? true }
            let fitting = free.filter { capacities[$0] >= need }.min { capacities[$0] < capacities[$1] }
            let slot: Int
            if let fitting {
                slot = fitting
            } else if let largest = free.max(by: { capacities[$0] < capacities[$1] }) {
                slot = largest
                capacities[slot] = need
            } else {
                slot = capacities.count
                capacities.append(need)
                owner.append(nil)
            }
            owner[slot] = i
            slots[i] = slot
        }
    }
}
