public extension Kernels {
    /// Scratch floats `convolutionBackward` needs: a column matrix and its delta per worker, and a weight-gradient
    /// partial sum for every worker but the first.
    static func convolutionBackwardWorkspaceCount(_ g: ConvGeometry, weightCount: Int, threads: Int) -> Int {
        max(1, threads) * 2 * g.columnRows * g.outSpatial + (max(1, threads) - 1) * weightCount
    }

    /// Gradients of a grouped convolution over a batch, given the delta of its raw output (after the activation and
    /// batch-norm gradients): `weightUpdate[groups·m × K] += δ · im2col(input)ᵀ` and, when `inputDelta` is given,
    /// `inputDelta += col2im(Wᵀ · δ)`.
    ///
    /// With at least as many images as threads, workers take whole images (disjoint input deltas) and sum their
    /// weight gradients at the end; with fewer, the images run one after another and every product is split inside
    /// the image: weight-gradient rows by filter, input-delta rows by input channel (so col2im writes stay disjoint).
    ///
    /// - Parameters:
    ///   - g: geometry of one group (its `channels` are the group's input channels).
    ///   - m: filters per group.
    ///   - input: `batch` images of `groups·g.channels × g.height × g.width`.
    ///   - delta: `batch` images of `groups·m × g.outSpatial`.
    ///   - weights: `groups·m × K` with `K = g.columnRows`.
    ///   - workspace: `convolutionBackwardWorkspaceCount(g, weightCount: groups·m·K, threads: threads)` floats.
    ///   - threads: the workers, the same the workspace was sized for.
    static func convolutionBackward(_ g: ConvGeometry, groups: Int, filters m: Int, batch: Int,
                                    input: UnsafePointer<Float>, delta: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                    weightUpdate: UnsafeMutablePointer<Float>, inputDelta: UnsafeMutablePointer<Float>?,
                                    workspace: UnsafeMutablePointer<Float>, threads: Int) {
        let threads = max(1, threads)
        let k = g.columnRows
        let spatial = g.outSpatial
        let groupInput = g.channels * g.height * g.width
        let imageInput = groups * groupInput
        let imageDelta = groups * m * spatial
        let weightCount = groups * m * k
        if batch >= threads {
            let workers = min(threads, batch)
            let partials = workspace + threads * 2 * k * spatial
            if workers > 1 { partials.update(repeating: 0, count: (workers - 1) * weightCount) }
            Parallel.tasks(batch, threads: threads) { b, worker in
                let columns = workspace + worker * 2 * k * spatial
                let dw = worker == 0 ? weightUpdate : partials + (worker - 1) * weightCount
                for group in 0..<groups {
                    convolutionBackwardSerial(g, filters: m, input: input + b * imageInput + group * groupInput,
                                              delta: delta + b * imageDelta + group * m * spatial, weights: weights + group * m * k,
                                              weightUpdate: dw + group * m * k,
                                              inputDelta: inputDelta.map { $0 + b * imageInput + group * groupInput },
                                              columns: columns, columnDelta: columns + k * spatial)
                }
            }
            for worker in 1..<max(1, workers) {
                add(partials + (worker - 1) * weightCount, into: weightUpdate, count: weightCount)
            }
            return
        }
        let columnDelta = workspace + k * spatial
        for b in 0..<batch {
            for group in 0..<groups {
                let src = input + b * imageInput + group * groupInput
                let d = delta + b * imageDelta + group * m * spatial
                let w = weights + group * m * k
                let cols = columns(g, input: src, scratch: workspace, serial: false, threads: threads)
                // ΔW[m × K] += δ[m × N] · colsᵀ, rows of ΔW (filters) split across threads.
                let dw = weightUpdate + group * m * k
                Parallel.chunks(m, threads: threads) { rows in
                    Gemm.sgemm(transA: false, transB: true, m: rows.count, n: k, k: spatial, alpha: 1, a: d + rows.lowerBound * spatial,
                               lda: spatial, b: cols, ldb: spatial, beta: 1, c: dw + rows.lowerBound * k, ldc: k)
                }
                guard let inputDelta else { continue }
                let target = inputDelta + b * imageInput + group * groupInput
                // Wᵀ[K × m] · δ[m × N], rows of the product (input channel × kernel tap) split by whole input channels.
                let taps = g.kernel * g.kernel
                Parallel.chunks(g.channels, threads: threads) { channels in
                    let r0 = channels.lowerBound * taps, rows = channels.count * taps
                    if g.isPointwise {
                        Gemm.sgemm(transA: true, transB: false, m: rows, n: spatial, k: m, alpha: 1, a: w + r0, lda: k, b: d, ldb: spatial,
                                   beta: 1, c: target + r0 * spatial, ldc: spatial)
                    } else {
                        Gemm.sgemm(transA: true, transB: false, m: rows, n: spatial, k: m, alpha: 1, a: w + r0, lda: k, b: d, ldb: spatial,
                                   beta: 0, c: columnDelta + r0 * spatial, ldc: spatial)
                        col2imChannels(g, columns: columnDelta, output: target, channels: channels)
                    }
                }
            }
        }
    }

    /// One group of one image on the calling thread.
    @inline(__always)
    private static func convolutionBackwardSerial(_ g: ConvGeometry, filters m: Int, input: UnsafePointer<Float>,
                                                  delta: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                                  weightUpdate: UnsafeMutablePointer<Float>, inputDelta: UnsafeMutablePointer<Float>?,
                                                  columns: UnsafeMutablePointer<Float>, columnDelta: UnsafeMutablePointer<Float>) {
        let k = g.columnRows
        let spatial = g.outSpatial
        let cols = Kernels.columns(g, input: input, scratch: columns, serial: true)
        // ΔW[m × K] += δ[m × N] · colsᵀ
        Gemm.sgemm(transA: false, transB: true, m: m, n: k, k: spatial, alpha: 1, a: delta, lda: spatial, b: cols, ldb: spatial,
                   beta: 1, c: weightUpdate, ldc: k)
        guard let inputDelta else { return }
        if g.isPointwise {
            Gemm.sgemm(transA: true, transB: false, m: k, n: spatial, k: m, alpha: 1, a: weights, lda: k, b: delta, ldb: spatial,
                       beta: 1, c: inputDelta, ldc: spatial)
        } else {
            Gemm.sgemm(transA: true, transB: false, m: k, n: spatial, k: m, alpha: 1, a: weights, lda: k, b: delta, ldb: spatial,
                       beta: 0, c: columnDelta, ldc: spatial)
            col2imSerial(g, columns: columnDelta, output: inputDelta)
        }
    }
}
