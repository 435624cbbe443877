import Foundation
import SwiftnetCore
import SwiftnetFormat

/// Gaussian blur and Gaussian noise of the training augmentation (spec §5.3 blur/noise, §5.5 classification blur).
///
/// The blur follows OpenCV's documented `GaussianBlur(src, dst, Size(k, k), 0)`: a separable kernel with
/// `σ = 0.3·((k−1)/2 − 1) + 0.8`, borders mirrored without repeating the edge pixel (`BORDER_REFLECT_101`). It is
/// computed in float; 8-bit results are rounded, so OpenCV's fixed-point path can differ by one level.
public enum AugmentFilters {
    /// The normalised 1-D Gaussian kernel OpenCV uses for an odd size `k` with σ derived from the size.
    public static func gaussianKernel(size k: Int) -> [Float] {
        precondition(k >= 1 && k % 2 == 1, "Gaussian kernel size must be odd and positive")
        let sigma = 0.3 * (Double(k - 1) * 0.5 - 1) + 0.8
        let r = k / 2
        var weights = (0..<k).map { i -> Double in
            let d = Double(i - r)
            return exp(-d * d / (2 * sigma * sigma))
        }
        let sum = weights.reduce(0, +)
        weights = weights.map { $0 / sum }
        return weights.map(Float.init)
    }

    /// `BORDER_REFLECT_101` index mapping (…, 2, 1 | 0, 1, 2, …, n−1 | n−2, …), repeated for kernels wider than
    /// the image.
    @inline(__always) static func reflect101(_ i: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        var i = i
        while i < 0 || i >= n { i = i < 0 ? -i : 2 * (n - 1) - i }
        return i
    }

    /// Blurs `width`×`height` interleaved RGB bytes in place with a `kernel`×`kernel` Gaussian (odd kernel).
    public static func gaussianBlur(_ pixels: UnsafeMutablePointer<UInt8>, width: Int, height: Int, kernel: Int) {
        guard kernel > 1, width > 0, height > 0 else { return }
        let weights = gaussianKernel(size: kernel)
        let r = kernel / 2
        let rowLength = width * 3
        var horizontal = [Float](repeating: 0, count: rowLength * height)
        var padded = [Float](repeating: 0, count: (width + 2 * r) * 3)
        weights.withUnsafeBufferPointer { wt in
        horizontal.withUnsafeMutableBufferPointer { hz in
        padded.withUnsafeMutableBufferPointer { pad in
            for y in 0..<height {
                let row = pixels + y * rowLength
                for x in -r..<(width + r) {
                    let s = reflect101(x, width)
                    for c in 0..<3 { pad[3 * (x + r) + c] = Float(row[3 * s + c]) }
                }
                let out = hz.baseAddress! + y * rowLength
                let w0 = wt[0]
                for i in 0..<rowLength { out[i] = w0 * pad[i] }
                for k in 1..<kernel {
                    let wk = wt[k], src = pad.baseAddress! + 3 * k
                    for i in 0..<rowLength { out[i] += wk * src[i] }
                }
            }
            var acc = [Float](repeating: 0, count: rowLength)
            acc.withUnsafeMutableBufferPointer { acc in
                for y in 0..<height {
                    for i in 0..<rowLength { acc[i] = 0 }
                    for k in 0..<kernel {
                        let src = hz.baseAddress! + reflect101(y + k - r, height) * rowLength
                        let w = wt[k]
                        for i in 0..<rowLength { acc[i] += w * src[i] }
                    }
                    let out = pixels + y * rowLength
                    for i in 0..<rowLength { out[i] = UInt8(min(255, max(0, acc[i] + 0.5))) }
                }
            }
        }}}
    }

    /// darknet's background blur (`blur=1`): the whole image blurred with a 17×17 Gaussian, then every truth box's
    /// pixel rectangle — edges `int((x − w/2)·width)`, size `int(w·width)`, clipped to the image — copied back
    /// from the unblurred image.
    public static func backgroundBlur(_ pixels: UnsafeMutablePointer<UInt8>, width: Int, height: Int, keeping labels: [LabelBox]) {
        let original = Array(UnsafeBufferPointer(start: pixels, count: width * height * 3))
        gaussianBlur(pixels, width: width, height: height, kernel: 17)
        for b in labels {
            let left = DetectionAugment.truncated((b.x - b.w / 2) * Float(width))
            let top = DetectionAugment.truncated((b.y - b.h / 2) * Float(height))
            let right = min(width, left + DetectionAugment.truncated(b.w * Float(width)))
            let bottom = min(height, top + DetectionAugment.truncated(b.h * Float(height)))
            let x0 = max(0, left), y0 = max(0, top)
            guard right > x0, bottom > y0 else { continue }
            original.withUnsafeBufferPointer { src in
                for y in y0..<bottom {
                    let o = (y * width + x0) * 3
                    (pixels + o).update(from: src.baseAddress! + o, count: (right - x0) * 3)
                }
            }
        }
    }

    /// Blurs a planar float image in place (every channel) with a `kernel`×`kernel` Gaussian (odd kernel).
    public static func gaussianBlur(_ image: inout Image, kernel: Int) {
        guard kernel > 1 else { return }
        let weights = gaussianKernel(size: kernel)
        let r = kernel / 2
        let w = image.width, h = image.height
        var padded = [Float](repeating: 0, count: w + 2 * r)
        var plane = [Float](repeating: 0, count: w * h)
        var acc = [Float](repeating: 0, count: w)
        weights.withUnsafeBufferPointer { wt in
        image.data.withUnsafeMutableBufferPointer { data in
        padded.withUnsafeMutableBufferPointer { pad in
        plane.withUnsafeMutableBufferPointer { hz in
        acc.withUnsafeMutableBufferPointer { acc in
            for c in 0..<image.channels {
                let base = data.baseAddress! + c * w * h
                for y in 0..<h {
                    let row = base + y * w
                    for x in -r..<(w + r) { pad[x + r] = row[reflect101(x, w)] }
                    let out = hz.baseAddress! + y * w
                    let w0 = wt[0]
                    for x in 0..<w { out[x] = w0 * pad[x] }
                    for k in 1..<kernel {
                        let wk = wt[k], src = pad.baseAddress! + k
                        for x in 0..<w { out[x] += wk * src[x] }
                    }
                }
                for y in 0..<h {
                    for x in 0..<w { acc[x] = 0 }
                    for k in 0..<kernel {
                        let src = hz.baseAddress! + reflect101(y + k - r, h) * w
                        let wk = wt[k]
                        for x in 0..<w { acc[x] += wk * src[x] }
                    }
                    (base + y * w).update(from: acc.baseAddress!, count: w)
                }
            }
        }}}}}
    }

    /// darknet's Gaussian noise: N(0, σ) sampled into an 8-bit matrix — rounded, so negative samples become 0 —
    /// and added with saturation; a pixel never gets darker.
    ///
    /// The 8-bit value `clamp(round(σ·z), 0, 255)` is drawn directly from its discrete distribution (inverse CDF
    /// over `P(value ≤ k) = Φ((k + ½)/σ)`), one 32-bit uniform per byte.
    public static func addGaussianNoise(_ pixels: UnsafeMutablePointer<UInt8>, count: Int, sigma: Int, rng: inout SeededRandom) {
        guard sigma > 0, count > 0 else { return }
        // thresholds[k] = P(value ≤ k)·2³², for k = 0…254; the value for a uniform u is the first k with
        // u < thresholds[k], or 255.
        var thresholds = [UInt64](repeating: 0, count: 255)
        for k in 0..<255 {
            let p = 0.5 * erfc(-(Double(k) + 0.5) / (Double(sigma) * 2.0.squareRoot()))
            thresholds[k] = UInt64((p * 4_294_967_296).rounded(.down))
        }
        // A 2¹⁶-bucket index of the inverse CDF: the answer for u is at least bucket[u >> 16], and the
        // boundaries inside one bucket are few (only in the far tail are there several).
        var buckets = [UInt8](repeating: 0, count: 1 << 16)
        var k = 0
        for bucket in 0..<(1 << 16) {
            let start = UInt64(bucket) << 16
            while k < 255 && start >= thresholds[k] { k += 1 }
            buckets[bucket] = UInt8(k)
        }
        thresholds.withUnsafeBufferPointer { t in
        buckets.withUnsafeBufferPointer { index in
            @inline(__always) func sample(_ u: UInt64) -> Int {
                var k = Int(index[Int(u >> 16)])
                while k < 255 && u >= t[k] { k += 1 }
                return k
            }
            @inline(__always) func add(_ i: Int, _ u: UInt64) {
                pixels[i] = UInt8(min(255, Int(pixels[i]) + sample(u)))
            }
            var i = 0
            while i + 1 < count {
                let bits = rng.next()
                add(i, bits & 0xFFFF_FFFF)
                add(i + 1, bits >> 32)
                i += 2
            }
            if i < count { add(i, rng.next() >> 32) }
        }}
    }
}
