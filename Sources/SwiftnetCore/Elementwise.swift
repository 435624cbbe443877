import Foundation

public extension Kernels {
    /// Nearest-neighbour upsampling by `stride` (times `scale`): `out[c][y][x] = scale·in[c][y/s][x/s]`.
    static func upsample(channels: Int, height: Int, width: Int, stride: Int, scale: Float,
                         input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let ow = width * stride, oh = height * stride
        Parallel.chunks(channels, grain: max(1, 8192 / max(1, ow * oh))) { range in
            for c in range {
                let src = input + c * height * width
                let dst = output + c * oh * ow
                for y in 0..<height {
                    let srow = src + y * width
                    let first = dst + (y * stride) * ow
                    for x in 0..<width {
                        let v = scale * srow[x]
                        for s in 0..<stride { first[x * stride + s] = v }
                    }
                    for s in 1..<max(1, stride) { (first + s * ow).update(from: first, count: ow) }
                }
            }
        }
    }

    /// Down-sampling by summing `stride × stride` blocks (negative `[upsample] stride`), times `scale`.
    static func downsampleSum(channels: Int, height: Int, width: Int, stride: Int, scale: Float,
                              input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let ow = width / stride, oh = height / stride
        for c in 0..<channels {
            for y in 0..<oh {
                for x in 0..<ow {
                    var sum: Float = 0
                    for dy in 0..<stride {
                        for dx in 0..<stride { sum += input[(c * height + y * stride + dy) * width + x * stride + dx] }
                    }
                    output[(c * oh + y) * ow + x] = scale * sum
                }
            }
        }
    }

    /// Space-to-depth (`[reorg3d]`): output channel k = (c0 = k mod c, o = k div c) reads input
    /// `(c0, y·s + o div s, x·s + o mod s)`. With `reverse`, the inverse mapping (depth-to-space).
    static func reorg3d(channels: Int, height: Int, width: Int, stride s: Int, reverse: Bool,
                        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let ow = width / s, oh = height / s, oc = channels * s * s
        if !reverse {
            for k in 0..<oc {
                let c0 = k % channels, o = k / channels
                let dy = o / s, dx = o % s
                for y in 0..<oh {
                    let src = input + (c0 * height + y * s + dy) * width + dx
                    let dst = output + (k * oh + y) * ow
                    for x in 0..<ow { dst[x] = src[x * s] }
                }
            }
        } else {
            // Input here is the small tensor (channels = c·s², height/width small); output is large.
            let bc = channels / (s * s), bw = width * s, bh = height * s
            for k in 0..<channels {
                let c0 = k % bc, o = k / bc
                let dy = o / s, dx = o % s
                for y in 0..<height {
                    let src = input + (k * height + y) * width
                    let dst = output + (c0 * bh + y * s + dy) * bw + dx
                    for x in 0..<width { dst[x * s] = src[x] }
                }
            }
        }
    }

    /// darknet's legacy `[reorg]` permutation (`blas.c:reorg_cpu` with `forward = 0` for reverse=0).
    static func reorgLegacy(channels c: Int, height h: Int, width w: Int, stride: Int, forward: Bool,
                            input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let outC = c / (stride * stride)
        for k in 0..<c {
            for j in 0..<h {
                for i in 0..<w {
                    let inIndex = i + w * (j + h * k)
                    let c2 = k % outC
                    let offset = k / outC
                    let w2 = i * stride + offset % stride
                    let h2 = j * stride + offset / stride
                    let outIndex = w2 + w * stride * (h2 + h * stride * c2)
                    if forward { output[outIndex] = input[inIndex] } else { output[inIndex] = input[outIndex] }
                }
            }
        }
    }

    /// Softmax over `n` values with temperature, darknet's numerics: `exp` in double, sum in float.
    static func softmax(_ input: UnsafePointer<Float>, count n: Int, temperature: Float, stride: Int = 1, output: UnsafeMutablePointer<Float>) {
        var largest = -Float.greatestFiniteMagnitude
        for i in 0..<n { largest = max(largest, input[i * stride]) }
        var sum: Float = 0
        for i in 0..<n {
            let e = Float(exp(Double(input[i * stride] / temperature - largest / temperature)))
            sum += e
            output[i * stride] = e
        }
        for i in 0..<n { output[i * stride] /= sum }
    }

    /// `y += x` over `count` values.
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.chunks(count, grain: 1 << 16) { range in
            for i in range { y[i] += x[i] }
        }
    }

    /// `y = a·x + y` over `count` values.
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.chunks(count, grain: 1 << 16) { range in
            for i in range { y[i] += a * x[i] }
        }
    }
}
