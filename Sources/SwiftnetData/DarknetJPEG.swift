import CImageCodec
import Foundation
import SwiftnetFormat

/// JPEG pixels exactly as darknet gets them from its bundled stb_image (v2.30, SSE2 build): libjpeg parses the file
/// and decodes the entropy-coded coefficients; the inverse DCT, chroma upsampling and YCbCr→RGB conversion are
/// stb_image's integer arithmetic, so every pixel value equals darknet's.
enum DarknetJPEG {
    /// Decodes JPEG bytes to interleaved RGB; nil when stb_image would not read the file either (arithmetic coding,
    /// 12-bit samples, 2 components), so the caller can fall back to libjpeg's own pixels.
    static func decode(_ data: Data, path: String) throws -> RGBImage? {
        var c = sn_jpeg_coefficients()
        defer { sn_free_jpeg_coefficients(&c) }
        let status = data.withUnsafeBytes { raw -> Int32 in
            sn_read_jpeg_coefficients(raw.bindMemory(to: UInt8.self).baseAddress!, raw.count, &c)
        }
        guard status == 0 else {
            let message = withUnsafeBytes(of: c.error) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            throw SwiftnetError.image(path: path, message: "corrupt or unsupported JPEG: \(message)")
        }
        let n = Int(c.components)
        guard c.arithmetic == 0, c.precision == 8, n == 1 || n == 3 || n == 4 else { return nil }
        let width = Int(c.width), height = Int(c.height)
        guard width > 0, height > 0 else { throw SwiftnetError.image(path: path, message: "image has no pixels") }
        func ints<T>(_ tuple: T) -> [Int] {
            withUnsafeBytes(of: tuple) { raw in (0..<n).map { Int(raw.load(fromByteOffset: $0 * 4, as: Int32.self)) } }
        }
        let h = ints(c.h), v = ints(c.v), ids = ints(c.id), blocksW = ints(c.blocks_w), blocksH = ints(c.blocks_h)
        let coefficients = withUnsafeBytes(of: c.coefficients) { Array($0.bindMemory(to: UnsafeMutablePointer<Int16>?.self)) }
        let hMax = h.max() ?? 1, vMax = v.max() ?? 1
        // stb_image refuses sampling factors that do not divide the largest one.
        guard h.allSatisfy({ $0 >= 1 && $0 <= 4 && hMax % $0 == 0 }), v.allSatisfy({ $0 >= 1 && $0 <= 4 && vMax % $0 == 0 }) else {
            throw SwiftnetError.image(path: path, message: "corrupt or unsupported JPEG: sampling factors \(h)×\(v) (darknet's decoder refuses them too)")
        }

        // Colour model, as stb_image decides it.
        let isRGB = n == 3 && (ids == [82, 71, 66] || (c.saw_adobe != 0 && c.adobe_transform == 0 && c.saw_jfif == 0))
        let transform = c.saw_adobe != 0 ? Int(c.adobe_transform) : -1

        // Each component's plane: inverse DCT of every block inside its sample area.
        var planes: [Plane] = []
        for k in 0..<n {
            guard let source = coefficients[k] else { throw SwiftnetError.image(path: path, message: "corrupt JPEG: missing component data") }
            let x = (width * h[k] + hMax - 1) / hMax, y = (height * v[k] + vMax - 1) / vMax
            let stride = blocksW[k] * 8
            var plane = Plane(width: x, height: y, stride: stride, pixels: [UInt8](repeating: 0, count: stride * blocksH[k] * 8))
            let usedW = min(blocksW[k], (x + 7) / 8), usedH = min(blocksH[k], (y + 7) / 8)
            plane.pixels.withUnsafeMutableBufferPointer { out in
                for by in 0..<usedH {
                    for bx in 0..<usedW {
                        inverseDCT(source + (by * blocksW[k] + bx) * 64, out.baseAddress! + by * 8 * stride + bx * 8, stride)
                    }
                }
            }
            planes.append(plane)
        }

        var image = RGBImage(width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height * 3))
        var samplers = (0..<n).map { Resampler(hs: hMax / h[$0], vs: vMax / v[$0], width: width, plane: planes[$0]) }
        var rows = (0..<n).map { _ in [UInt8](repeating: 0, count: width + 3 + 8) }
        image.pixels.withUnsafeMutableBufferPointer { out in
            for row in 0..<height {
                for k in 0..<n { samplers[k].next(into: &rows[k]) }
                let o = out.baseAddress! + row * width * 3
                switch n {
                case 1:
                    for i in 0..<width { let g = rows[0][i]; o[3 * i] = g; o[3 * i + 1] = g; o[3 * i + 2] = g }
                case 3 where isRGB:
                    for i in 0..<width { o[3 * i] = rows[0][i]; o[3 * i + 1] = rows[1][i]; o[3 * i + 2] = rows[2][i] }
                case 4 where transform == 0:
                    for i in 0..<width {
                        let m = rows[3][i]
                        o[3 * i] = blinn(rows[0][i], m); o[3 * i + 1] = blinn(rows[1][i], m); o[3 * i + 2] = blinn(rows[2][i], m)
                    }
                default:
                    ycbcrToRGB(o, rows[0], rows[1], rows[2], width)
                    if n == 4 && transform == 2 {
                        for i in 0..<width {
                            let m = rows[3][i]
                            for ch in 0..<3 { o[3 * i + ch] = blinn(255 - o[3 * i + ch], m) }
                        }
                    }
                }
            }
        }
        return image
    }

    /// One component's decoded samples: `width × height` used, rows `stride` apart.
    struct Plane {
        var width: Int
        var height: Int
        var stride: Int
        var pixels: [UInt8]
    }

    /// stb_image's row-by-row resampler: which two source rows feed each output row, and the filter for the
    /// component's expansion factors (triangle filters for 2×, nearest neighbour otherwise).
    struct Resampler {
        let hs: Int, vs: Int
        let lowWidth: Int
        let plane: Plane
        var ystep: Int
        var ypos = 0
        var line0 = 0, line1 = 0

        init(hs: Int, vs: Int, width: Int, plane: Plane) {
            self.hs = hs
            self.vs = vs
            self.plane = plane
            lowWidth = (width + hs - 1) / hs
            ystep = vs >> 1
        }

        mutating func next(into out: inout [UInt8]) {
            let bottom = ystep >= (vs >> 1)
            let near = bottom ? line1 : line0, far = bottom ? line0 : line1
            plane.pixels.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { o in
                    resample(o.baseAddress!, p.baseAddress! + near, p.baseAddress! + far)
                }
            }
            ystep += 1
            if ystep >= vs {
                ystep = 0
                line0 = line1
                ypos += 1
                if ypos < plane.height { line1 += plane.stride }
            }
        }

        func resample(_ out: UnsafeMutablePointer<UInt8>, _ near: UnsafePointer<UInt8>, _ far: UnsafePointer<UInt8>) {
            let w = lowWidth
            switch (hs, vs) {
            case (1, 1):
                out.update(from: near, count: w)
            case (1, 2):
                for i in 0..<w { out[i] = UInt8(truncatingIfNeeded: (3 * Int(near[i]) + Int(far[i]) + 2) >> 2) }
            case (2, 1):
                if w == 1 { out[0] = near[0]; out[1] = near[0]; return }
                out[0] = near[0]
                out[1] = UInt8(truncatingIfNeeded: (Int(near[0]) * 3 + Int(near[1]) + 2) >> 2)
                var i = 1
                while i < w - 1 {
                    let m = 3 * Int(near[i]) + 2
                    out[2 * i] = UInt8(truncatingIfNeeded: (m + Int(near[i - 1])) >> 2)
                    out[2 * i + 1] = UInt8(truncatingIfNeeded: (m + Int(near[i + 1])) >> 2)
                    i += 1
                }
                out[2 * i] = UInt8(truncatingIfNeeded: (Int(near[w - 2]) * 3 + Int(near[w - 1]) + 2) >> 2)
                out[2 * i + 1] = near[w - 1]
            case (2, 2):
                if w == 1 {
                    let value = UInt8(truncatingIfNeeded: (3 * Int(near[0]) + Int(far[0]) + 2) >> 2)
                    out[0] = value; out[1] = value
                    return
                }
                var t1 = 3 * Int(near[0]) + Int(far[0])
                out[0] = UInt8(truncatingIfNeeded: (t1 + 2) >> 2)
                for i in 1..<w {
                    let t0 = t1
                    t1 = 3 * Int(near[i]) + Int(far[i])
                    out[2 * i - 1] = UInt8(truncatingIfNeeded: (3 * t0 + t1 + 8) >> 4)
                    out[2 * i] = UInt8(truncatingIfNeeded: (3 * t1 + t0 + 8) >> 4)
                }
                out[2 * w - 1] = UInt8(truncatingIfNeeded: (t1 + 2) >> 2)
            default:
                for i in 0..<w { for j in 0..<hs { out[i * hs + j] = near[i] } }
            }
        }
    }

    /// stb_image's `float2fixed`: the constant in 12-bit fixed point, shifted to 20 bits.
    static func fixed(_ x: Float) -> Int32 { Int32(x * 4096 + 0.5) << 8 }
    // fixed(1.40200), −fixed(0.71414), −fixed(0.34414), fixed(1.77200) as literals (no lazy global in the pixel loop).
    static let crR: Int32 = 1470208, crG: Int32 = -748800, cbG: Int32 = -360960, cbB: Int32 = 1858048

    /// stb_image's reduced-precision YCbCr→RGB (its scalar path, which its SSE2 build also takes for 3-byte pixels).
    static func ycbcrToRGB(_ out: UnsafeMutablePointer<UInt8>, _ y: [UInt8], _ cb: [UInt8], _ cr: [UInt8], _ count: Int) {
        func clamp(_ x: Int32) -> UInt8 { x < 0 ? 0 : x > 255 ? 255 : UInt8(x) }
        for i in 0..<count {
            let yFixed = (Int32(y[i]) << 20) + (1 << 19)
            let r = Int32(cr[i]) - 128, b = Int32(cb[i]) - 128
            out[3 * i] = clamp((yFixed &+ r &* crR) >> 20)
            out[3 * i + 1] = clamp((yFixed &+ r &* crG &+ ((b &* cbG) & Int32(bitPattern: 0xffff_0000))) >> 20)
            out[3 * i + 2] = clamp((yFixed &+ b &* cbB) >> 20)
        }
    }

    /// stb_image's rounded 8-bit product (CMYK/YCCK).
    static func blinn(_ x: UInt8, _ y: UInt8) -> UInt8 {
        let t = UInt32(x) * UInt32(y) + 128
        return UInt8(truncatingIfNeeded: (t + (t >> 8)) >> 8)
    }

    /// stb_image's `f2f`: `(int)(x·4096 + 0.5)`, truncating toward zero.
    static func f2f(_ x: Float) -> Int32 { Int32(Double(x * 4096) + 0.5) }

    // The SSE2 kernel's constant pairs: each rotation is a·x + b·y on 16-bit inputs; literals (the f2f sums of the
    // rotation constants 0.5411961, −1.847759065, 0.765366865, …) so that no lazy global guards the IDCT's loop.
    static let rot0_0: (Int32, Int32) = (2217, -5350)
    static let rot0_1: (Int32, Int32) = (5352, 2217)
    static let rot1_0: (Int32, Int32) = (1131, 4816)
    static let rot1_1: (Int32, Int32) = (4816, -5681)
    static let rot2_0: (Int32, Int32) = (-6811, -8034)
    static let rot2_1: (Int32, Int32) = (-8034, 4552)
    static let rot3_0: (Int32, Int32) = (6813, -1597)
    static let rot3_1: (Int32, Int32) = (-1597, 4552)

    @inline(__always) static func wrap16(_ x: Int32) -> Int32 { Int32(Int16(truncatingIfNeeded: x)) }
    @inline(__always) static func saturate16(_ x: Int32) -> Int32 { min(32767, max(-32768, x)) }

    /// One 1-D pass of stb_image's SSE2 IDCT over 8 values `s[0], s[step], …`, written to `d[0], d[step], …`:
    /// 16-bit wrapping sums, 32-bit products, then `(x + bias) >> shift` saturated to 16 bits.
    @inline(__always)
    static func pass(_ s: UnsafePointer<Int32>, _ d: UnsafeMutablePointer<Int32>, step: Int, bias: Int32, shift: Int32) {
        let r0 = s[0], r1 = s[step], r2 = s[2 * step], r3 = s[3 * step]
        let r4 = s[4 * step], r5 = s[5 * step], r6 = s[6 * step], r7 = s[7 * step]
        let t2e = r2 &* rot0_0.0 &+ r6 &* rot0_0.1
        let t3e = r2 &* rot0_1.0 &+ r6 &* rot0_1.1
        let t0e = wrap16(r0 &+ r4) << 12
        let t1e = wrap16(r0 &- r4) << 12
        let x0 = t0e &+ t3e, x3 = t0e &- t3e, x1 = t1e &+ t2e, x2 = t1e &- t2e
        let y0o = r7 &* rot2_0.0 &+ r3 &* rot2_0.1
        let y2o = r7 &* rot2_1.0 &+ r3 &* rot2_1.1
        let y1o = r5 &* rot3_0.0 &+ r1 &* rot3_0.1
        let y3o = r5 &* rot3_1.0 &+ r1 &* rot3_1.1
        let sum17 = wrap16(r1 &+ r7), sum35 = wrap16(r3 &+ r5)
        let y4o = sum17 &* rot1_0.0 &+ sum35 &* rot1_0.1
        let y5o = sum17 &* rot1_1.0 &+ sum35 &* rot1_1.1
        let x4 = y0o &+ y4o, x5 = y1o &+ y5o, x6 = y2o &+ y5o, x7 = y3o &+ y4o
        let b0 = x0 &+ bias, b1 = x1 &+ bias, b2 = x2 &+ bias, b3 = x3 &+ bias
        d[0] = saturate16((b0 &+ x7) >> shift)
        d[7 * step] = saturate16((b0 &- x7) >> shift)
        d[step] = saturate16((b1 &+ x6) >> shift)
        d[6 * step] = saturate16((b1 &- x6) >> shift)
        d[2 * step] = saturate16((b2 &+ x5) >> shift)
        d[5 * step] = saturate16((b2 &- x5) >> shift)
        d[3 * step] = saturate16((b3 &+ x4) >> shift)
        d[4 * step] = saturate16((b3 &- x4) >> shift)
    }

    /// stb_image's integer IDCT of one dequantised block into 8×8 pixels `stride` apart.
    static func inverseDCT(_ block: UnsafePointer<Int16>, _ out: UnsafeMutablePointer<UInt8>, _ stride: Int) {
        var acZero = true
        for i in 1..<64 where block[i] != 0 { acZero = false; break }
        if acZero {
            // Only the DC term: both passes give one value everywhere (the same integer steps, shown in closed form).
            let v = saturate16(Int32(block[0]) << 2)
            let value = ((v << 12) + 65536 + (128 << 17)) >> 17
            let pixel: UInt8 = value < 0 ? 0 : value > 255 ? 255 : UInt8(value)
            for r in 0..<8 { (out + r * stride).update(repeating: pixel, count: 8) }
            return
        }
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 128) { buffer in
            let input = buffer.baseAddress!, columns = input + 64
            for i in 0..<64 { input[i] = Int32(block[i]) }
            // Columns (vertical pass), then rows of that result (horizontal pass), as the SSE2 kernel orders them.
            for c in 0..<8 {
                if input[8 + c] == 0 && input[16 + c] == 0 && input[24 + c] == 0 && input[32 + c] == 0
                    && input[40 + c] == 0 && input[48 + c] == 0 && input[56 + c] == 0 {
                    // A column with only its first term: every output is (x·4096 + 512) >> 10 = 4x.
                    let v = saturate16(input[c] << 2)
                    for r in 0..<8 { columns[8 * r + c] = v }
                } else {
                    pass(input + c, columns + c, step: 8, bias: 512, shift: 10)
                }
            }
            for r in 0..<8 { pass(columns + 8 * r, input + 8 * r, step: 1, bias: 65536 + (128 << 17), shift: 17) }
            for r in 0..<8 {
                for c in 0..<8 {
                    let value = input[8 * r + c]
                    out[r * stride + c] = value < 0 ? 0 : value > 255 ? 255 : UInt8(value)
                }
            }
        }
    }
}
