import CKernels
import SwiftnetFormat

/// How a Winograd F(4×4, 3×3) convolution is cut into work: tiles of 4×4 outputs, grouped in blocks of whole tile
/// rows sized so one block's transformed input and products stay near the core's cache. Small images (fewer tiles
/// than a block wants) are put several to a block, so the 36 products are wide enough.
public struct WinogradPlan: Equatable, Sendable {
    public var tilesW: Int
    public var tilesH: Int
    /// Tile rows per block.
    public var rowsPerBlock: Int
    /// Images per block (more than 1 only with whole images per block).
    public var imagesPerBlock: Int = 1
    /// Blocks per image.
    public var blocks: Int { (tilesH + rowsPerBlock - 1) / rowsPerBlock }
    public var tilesPerBlock: Int { imagesPerBlock * rowsPerBlock * tilesW }

    /// Floats of transformed input and products for one block, plus the transforms' row scratch.
    func blockFloats(channels: Int, filters: Int) -> Int {
        36 * (channels + filters) * tilesPerBlock + sn_winograd_rows_count(tilesW)
    }
}

public extension Kernels {
    /// Tiles per block aimed at: the transformed block of a layer (36·(C+M) floats a tile) near 1.5 MiB, and never
    /// fewer than 64 tiles so that the 36 products stay efficient GEMMs.
    static let winogradBlockBytes = 3 << 19

    /// Whether a convolution can run as Winograd F(4×4, 3×3): 3×3 kernels, stride 1, no dilation, and enough channels
    /// and filters for the transforms to pay for themselves.
    static func winogradEligible(_ g: ConvGeometry, filters m: Int) -> Bool {
        g.kernel == 3 && g.strideX == 1 && g.strideY == 1 && g.dilation == 1 && g.channels >= 8 && m >= 8
    }

    /// Output tiles a block needs before Winograd wins: below it the transformed kernels (4× the weights) are read
    /// for too few tiles, and the GEMM on the plain weights is faster.
    static let winogradMinimumTiles = 36

    /// Whether a convolution of `batch` images runs as Winograd (``winogradEligible(_:filters:)`` and enough tiles:
    /// in one image, or in the images of a batch put together).
    static func winogradApplies(_ g: ConvGeometry, filters m: Int, batch: Int = 1) -> Bool {
        let tiles = ((g.outWidth + 3) / 4) * ((g.outHeight + 3) / 4)
        return winogradEligible(g, filters: m) && (tiles >= winogradMinimumTiles || max(1, batch) * tiles >= 2 * winogradMinimumTiles)
    }

    static func winogradPlan(_ g: ConvGeometry, filters m: Int, batch: Int = 1) -> WinogradPlan {
        let tilesW = (g.outWidth + 3) / 4, tilesH = (g.outHeight + 3) / 4
        let target = max(64, winogradBlockBytes / (4 * 36 * (g.channels + m)))
        let wide = max(128, target)
        if tilesW * tilesH < wide && batch > 1 {
            // Whole small images, as many per block as make the products wide (at least 128 tiles).
            let images = min(batch, (wide + tilesW * tilesH - 1) / (tilesW * tilesH))
            let blocks = (max(1, batch) + images - 1) / images
            return WinogradPlan(tilesW: tilesW, tilesH: tilesH, rowsPerBlock: tilesH, imagesPerBlock: (max(1, batch) + blocks - 1) / blocks)
        }
        let rows = min(tilesH, max(1, (target + tilesW / 2) / tilesW))
        // Equal blocks: the same number of blocks, as few rows each as that needs.
        let blocks = (tilesH + rows - 1) / rows
        return WinogradPlan(tilesW: tilesW, tilesH: tilesH, rowsPerBlock: (tilesH + blocks - 1) / blocks)
    }

    /// Transformed weights for ``convolutionWinograd(_:groups:filters:batch:transformed:bias:activation:accumulate:mergeImages:input:output:workspace:threads:)``:
    /// `groups` blocks of `[36][filters][channels]`.
    static func winogradWeights(_ weights: UnsafePointer<Float>, groups: Int, filters m: Int, channels c: Int) -> Buffer {
        let u = Buffer(count: groups * 36 * m * c)
        winogradWeights(weights, groups: groups, filters: m, channels: c, flipped: false, into: u.pointer)
        return u
    }

    /// Transformed weights written into `u` (`groups·36·m·c` floats). With `flipped`, the kernels of the input-delta
    /// convolution: `groups` blocks of `[36][c][m]`, each kernel turned by 180°.
    static func winogradWeights(_ weights: UnsafePointer<Float>, groups: Int, filters m: Int, channels c: Int, flipped: Bool,
                                into u: UnsafeMutablePointer<Float>, threads: Int = Parallel.threads) {
        for group in 0..<groups {
            // Filters split across the threads: each writes its own filters' entries of every ξ.
            Parallel.chunks(m, grain: max(1, 4096 / max(1, c)), threads: threads) { filters in
                sn_winograd_weights(weights + group * m * c * 9, m, c, filters.lowerBound, filters.upperBound, flipped ? 1 : 0,
                                    u + group * 36 * m * c)
            }
        }
    }

    /// The geometry of the input-delta convolution of a Winograd-eligible layer: the output delta (`filters` channels)
    /// convolved with the turned kernels and padding `2 − pad` gives back the input's size.
    static func winogradInputDeltaGeometry(_ g: ConvGeometry, filters m: Int) -> ConvGeometry {
        ConvGeometry(channels: m, height: g.outHeight, width: g.outWidth, kernel: 3, strideX: 1, strideY: 1, pad: 2 - g.pad,
                     dilation: 1, outHeight: g.height, outWidth: g.width)
    }

    /// Whether training's input delta can run as Winograd too (padding up to 2, so that `2 − pad` is a padding).
    static func winogradInputDeltaApplies(_ g: ConvGeometry, filters m: Int, batch: Int = 1) -> Bool {
        winogradApplies(g, filters: m, batch: batch) && (0...2).contains(g.pad)
            && winogradApplies(winogradInputDeltaGeometry(g, filters: m), filters: g.channels, batch: batch)
    }

    /// Scratch floats the Winograd convolution needs.
    static func winogradWorkspaceCount(_ g: ConvGeometry, filters m: Int, batch: Int = 1, threads: Int) -> Int {
        let plan = winogradPlan(g, filters: m, batch: batch)
        let threads = max(1, threads)
        // Per-worker blocks, or one shared block plus per-thread row scratch.
        return max(threads * plan.blockFloats(channels: g.channels, filters: m),
                   plan.blockFloats(channels: g.channels, filters: m) + threads * sn_winograd_rows_count(plan.tilesW))
    }

    /// A 3×3 stride-1 convolution with bias and activation over `batch` images by Winograd F(4×4, 3×3): input tiles
    /// transformed, 36 GEMMs against the transformed weights (`winogradWeights`), products transformed back. Blocks of
    /// tile rows go to workers whole when there are enough of them; otherwise each block's three stages are split
    /// across the threads (channels, products, filters). With `accumulate` the result is added to `output` (bias
    /// and activation are then not allowed). `mergeImages: false` keeps every block within one image, so the
    /// arithmetic of an image does not depend on the batch around it (training).
    static func convolutionWinograd(_ g: ConvGeometry, groups: Int, filters m: Int, batch: Int, transformed u: UnsafePointer<Float>,
                                    bias: UnsafePointer<Float>?, activation: Activation, accumulate: Bool = false,
                                    mergeImages: Bool = true, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                    workspace: UnsafeMutablePointer<Float>, threads: Int) {
        precondition(!accumulate || (bias == nil && activation == .linear), "accumulating Winograd takes no bias or activation")
        let plan = winogradPlan(g, filters: m, batch: mergeImages ? batch : 1)
        let c = g.channels, oh = g.outHeight, ow = g.outWidth
        let threads = max(1, threads)
        let elementwise: Activation = activation.isChannelwise ? .linear : activation
        let groupInput = c * g.height * g.width, groupOutput = m * oh * ow
        let blockFloats = plan.blockFloats(channels: c, filters: m)
        let rowsCount = sn_winograd_rows_count(plan.tilesW)
        let imageBlocks = (batch + plan.imagesPerBlock - 1) / plan.imagesPerBlock
        let units = imageBlocks * groups * plan.blocks

        // One block (tile rows ty0..<ty1 of images b0..<b1): transformed input V[36][c][tiles], products P[36][m][tiles].
        func stages(unit: Int, scratch: UnsafeMutablePointer<Float>, split: Bool) {
            let block = unit % plan.blocks, rest = unit / plan.blocks
            let group = rest % groups, b0 = (rest / groups) * plan.imagesPerBlock, b1 = min(batch, b0 + plan.imagesPerBlock)
            let ty0 = block * plan.rowsPerBlock, ty1 = min(plan.tilesH, ty0 + plan.rowsPerBlock)
            let imageTiles = (ty1 - ty0) * plan.tilesW, tiles = (b1 - b0) * imageTiles
            let v = scratch, p = scratch + 36 * c * tiles
            let rows = scratch + 36 * (c + m) * tiles
            let weights = u + group * 36 * m * c
            let groupBias = bias.map { $0 + group * m }
            let oy0 = 4 * ty0, oy1 = min(oh, 4 * ty1)
            func transformIn(_ channels: Range<Int>, rows: UnsafeMutablePointer<Float>) {
                for b in b0..<b1 {
                    sn_winograd_input(input + (b * groups + group) * groupInput, g.height, g.width, g.pad, plan.tilesW, ty0, ty1,
                                      channels.lowerBound, channels.upperBound, v + (b - b0) * imageTiles, tiles, c * tiles, rows)
                }
            }
            func transformOut(_ filters: Range<Int>, rows: UnsafeMutablePointer<Float>) {
                for b in b0..<b1 {
                    let target = output + (b * groups + group) * groupOutput
                    sn_winograd_output(p + (b - b0) * imageTiles, tiles, m * tiles, plan.tilesW, ty0, ty1, filters.lowerBound,
                                       filters.upperBound, oh, ow, groupBias, accumulate ? 1 : 0, target, rows)
                    if elementwise != .linear {
                        for f in filters { activateRange(target + f * oh * ow + oy0 * ow, 0..<((oy1 - oy0) * ow), elementwise) }
                    }
                }
            }
            if !split {
                transformIn(0..<c, rows: rows)
                for xi in 0..<36 {
                    Gemm.sgemm(transA: false, transB: false, m: m, n: tiles, k: c, alpha: 1, a: weights + xi * m * c, lda: c,
                               b: v + xi * c * tiles, ldb: tiles, beta: 0, c: p + xi * m * tiles, ldc: tiles)
                }
                transformOut(0..<m, rows: rows)
                return
            }
            Parallel.tasks(threads, threads: threads) { part, worker in
                let lo = c * part / threads, hi = c * (part + 1) / threads
                if lo < hi { transformIn(lo..<hi, rows: rows + worker * rowsCount) }
            }
            Parallel.tasks(36, threads: threads) { xi, _ in
                Gemm.sgemm(transA: false, transB: false, m: m, n: tiles, k: c, alpha: 1, a: weights + xi * m * c, lda: c,
                           b: v + xi * c * tiles, ldb: tiles, beta: 0, c: p + xi * m * tiles, ldc: tiles)
            }
            Parallel.tasks(threads, threads: threads) { part, worker in
                let lo = m * part / threads, hi = m * (part + 1) / threads
                if lo < hi { transformOut(lo..<hi, rows: rows + worker * rowsCount) }
            }
        }

        if units >= threads {
            Parallel.tasks(units, threads: threads) { unit, worker in
                stages(unit: unit, scratch: workspace + worker * blockFloats, split: false)
            }
        } else {
            for unit in 0..<units { stages(unit: unit, scratch: workspace, split: true) }
        }
        if activation.isChannelwise { activate(output, batch: batch, channels: m * groups, spatial: oh * ow, activation) }
    }
}
