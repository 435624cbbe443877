/// Pixel kernels of the detection augmentation, on interleaved 8-bit RGB buffers.
enum AugmentPixels {
    /// Per-channel mean of `count` RGB pixels, rounded half to even (what `cv::mean` + `Mat::setTo` give).
    static func meanColour(_ src: UnsafeBufferPointer<UInt8>, count: Int) -> (UInt8, UInt8, UInt8) {
        guard count > 0 else { return (0, 0, 0) }
        var s0: UInt64 = 0, s1: UInt64 = 0, s2: UInt64 = 0
        let p = src.baseAddress!
        for i in 0..<count {
            s0 &+= UInt64(p[3 * i])
            s1 &+= UInt64(p[3 * i + 1])
            s2 &+= UInt64(p[3 * i + 2])
        }
        func round(_ sum: UInt64) -> UInt8 {
            let n = UInt64(count)
            var q = sum / n
            let twice = 2 * (sum % n)
            if twice > n || (twice == n && q & 1 == 1) { q += 1 }
            return UInt8(min(q, 255))
        }
        return (round(s0), round(s1), round(s2))
    }

    static func fillRow(_ row: UnsafeMutablePointer<UInt8>, count: Int, colour: (UInt8, UInt8, UInt8)) {
        for i in 0..<count {
            row[3 * i] = colour.0
            row[3 * i + 1] = colour.1
            row[3 * i + 2] = colour.2
        }
    }

    /// Row `row` of the crop `crop` of an image: a pointer into the image when the row lies inside it, `fillRow`
    /// when it lies wholly above or below, else `scratch` (whose out-of-image columns must already hold the fill
    /// colour) with the in-image span copied in.
    @inline(__always)
    static func cropRow(_ src: UnsafeBufferPointer<UInt8>, imageWidth: Int, imageHeight: Int, crop: PixelRect, row: Int,
                        scratch: UnsafeMutablePointer<UInt8>, fillRow: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
        let iy = crop.y + row
        guard iy >= 0, iy < imageHeight else { return fillRow }
        let imageRow = src.baseAddress! + iy * imageWidth * 3
        if crop.x >= 0 && crop.x + crop.width <= imageWidth { return imageRow + crop.x * 3 }
        let first = max(0, crop.x), last = min(imageWidth, crop.x + crop.width)   // in-image columns [first, last)
        if last > first {
            (scratch + (first - crop.x) * 3).update(from: imageRow + first * 3, count: (last - first) * 3)
        }
        return UnsafePointer(scratch)
    }

    /// Source index pairs and weights of a 1-D INTER_LINEAR resize from `n` to `m` samples: output `i` blends
    /// input `i0` and `i1` with weight `a` on `i1`, for `f = (i + 0.5)·n/m − 0.5`, both neighbours clamped to the
    /// input so that the borders replicate.
    static func linearTaps(from n: Int, to m: Int) -> (i0: [Int], i1: [Int], a: [Float]) {
        var i0 = [Int](repeating: 0, count: m), i1 = [Int](repeating: 0, count: m), a = [Float](repeating: 0, count: m)
        let scale = Double(n) / Double(m)
        for i in 0..<m {
            let f = (Double(i) + 0.5) * scale - 0.5
            let fl = f.rounded(.down)
            let k = Int(fl)
            i0[i] = min(max(k, 0), n - 1)
            i1[i] = min(max(k + 1, 0), n - 1)
            a[i] = i0[i] == i1[i] ? 0 : Float(f - fl)
        }
        return (i0, i1, a)
    }

    /// Resizes the crop `crop` of an RGB image (outside parts = `fill`) to `outWidth`×`outHeight` with INTER_LINEAR,
    /// optionally mirrored horizontally, into `dst` (interleaved RGB). Separable: each needed crop row is resampled
    /// horizontally once into a float row (two rows cached), then rows are blended vertically and rounded.
    static func resizeLinear(_ src: UnsafeBufferPointer<UInt8>, width: Int, height: Int, crop: PixelRect,
                             fill: (UInt8, UInt8, UInt8), to dst: UnsafeMutablePointer<UInt8>,
                             outWidth: Int, outHeight: Int, flip: Bool) {
        let cw = crop.width, ch = crop.height
        precondition(cw > 0 && ch > 0 && outWidth > 0 && outHeight > 0, "empty resize")
        let xt = linearTaps(from: cw, to: outWidth)
        let yt = linearTaps(from: ch, to: outHeight)
        // Horizontal taps in byte offsets, with the flip folded in: output column x reads what unflipped column
        // outWidth−1−x would.
        var x0 = [Int](repeating: 0, count: outWidth), x1 = x0, ax = [Float](repeating: 0, count: outWidth)
        for x in 0..<outWidth {
            let s = flip ? outWidth - 1 - x : x
            x0[x] = 3 * xt.i0[s]
            x1[x] = 3 * xt.i1[s]
            ax[x] = xt.a[s]
        }
        var scratch = [UInt8](repeating: 0, count: cw * 3)
        var fillStorage = [UInt8](repeating: 0, count: cw * 3)
        var rows = [Float](repeating: 0, count: 2 * outWidth * 3)
        let rowLength = outWidth * 3

        scratch.withUnsafeMutableBufferPointer { scratch in
        fillStorage.withUnsafeMutableBufferPointer { fillBuffer in
        rows.withUnsafeMutableBufferPointer { rows in
        x0.withUnsafeBufferPointer { x0 in
        x1.withUnsafeBufferPointer { x1 in
        ax.withUnsafeBufferPointer { ax in
            fillRow(scratch.baseAddress!, count: cw, colour: fill)
            fillRow(fillBuffer.baseAddress!, count: cw, colour: fill)
            let fillPointer = UnsafePointer(fillBuffer.baseAddress!)
            var cached = (-1, -1)   // crop rows held by the two float rows

            func horizontal(_ r: Int, into slot: Int) {
                let s = cropRow(src, imageWidth: width, imageHeight: height, crop: crop, row: r,
                                scratch: scratch.baseAddress!, fillRow: fillPointer)
                let o = rows.baseAddress! + slot * rowLength
                for x in 0..<outWidth {
                    let a = ax[x]
                    let p = s + x0[x], q = s + x1[x]
                    let p0 = Float(p[0]), p1 = Float(p[1]), p2 = Float(p[2])
                    o[3 * x] = p0 + a * (Float(q[0]) - p0)
                    o[3 * x + 1] = p1 + a * (Float(q[1]) - p1)
                    o[3 * x + 2] = p2 + a * (Float(q[2]) - p2)
                }
                if slot == 0 { cached.0 = r } else { cached.1 = r }
            }
            func slot(for r: Int, keeping other: Int) -> Int {
                if cached.0 == r { return 0 }
                if cached.1 == r { return 1 }
                let s = cached.0 == other ? 1 : 0
                horizontal(r, into: s)
                return s
            }

            for y in 0..<outHeight {
                let r0 = yt.i0[y], r1 = yt.i1[y], b = yt.a[y]
                let s0 = slot(for: r0, keeping: r1)
                let out = dst + y * rowLength
                let h0 = rows.baseAddress! + s0 * rowLength
                if b == 0 {
                    for i in 0..<rowLength { out[i] = UInt8(h0[i] + 0.5) }
                } else {
                    let s1 = slot(for: r1, keeping: r0)
                    let h1 = rows.baseAddress! + s1 * rowLength
                    for i in 0..<rowLength {
                        let v = h0[i] + b * (h1[i] - h0[i])
                        out[i] = UInt8(v + 0.5)
                    }
                }
            }
        }}}}}}
    }

    // MARK: HSV

    /// Lookup tables for the 8-bit HSV conversions.
    struct HSVTables: Sendable {
        /// 1/v for v in 0…255 (0 for v = 0).
        var reciprocal: [Float]
        /// For H in 0…255, interleaved per channel (R, G, B, unused): how far the channel falls below V, as a
        /// fraction of V·S — `clamp(min(k, 4 − k), 0, 1)` with `k = (n + H/30) mod 6`, n = 5, 3, 1 for R, G, B. This
        /// is the sector formula of HSV → RGB written without branches; it is periodic in H, so H ≥ 180 wraps.
        var drop: [Float]

        static let shared = HSVTables()

        init() {
            reciprocal = (0..<256).map { $0 == 0 ? 0 : 1 / Float($0) }
            var drop = [Float](repeating: 0, count: 256 * 4)
            for h in 0..<256 {
                for (c, n) in [5.0, 3.0, 1.0].enumerated() {
                    let k = (n + Double(h) / 30).truncatingRemainder(dividingBy: 6)
                    drop[4 * h + c] = Float(max(0, min(k, 4 - k, 1)))
                }
            }
            self.drop = drop
        }
    }

    /// RGB → (H, S, V) per OpenCV's documented 8-bit formulas: V = max, S = 255·(V − min)/V, H = hue°/2 with the
    /// R, G, B branches tried in that order, rounded (half up); H = 180 after rounding is 0.
    @inline(__always)
    static func toHSV(_ r: UInt8, _ g: UInt8, _ b: UInt8, reciprocal: UnsafePointer<Float>) -> (h: Int, s: Int, v: Int) {
        let ri = Int(r), gi = Int(g), bi = Int(b)
        let v = max(ri, gi, bi), mn = min(ri, gi, bi)
        let diff = v - mn
        let s = Int(Float(diff) * 255 * reciprocal[v] + 0.5)
        let isR = v == ri, isG = v == gi
        let num = isR ? gi - bi : (isG ? bi - ri : ri - gi)
        // Branch offsets 0°, 120°, 240° (halved), plus 180 so the rounding below never sees a negative value.
        let base: Float = isR ? 180 : (isG ? 240 : 300)
        var h = Int(Float(num) * 30 * reciprocal[diff] + base + 0.5)   // diff = 0 → 180 (grey: H = 0)
        if h >= 180 { h -= 180 }   // 150…330 → 0…179
        return (h, s, v)
    }

    /// (H, S, V) → RGB with H in 2° units (periodic: H ≥ 180 wraps), rounded to 8 bits.
    @inline(__always)
    static func toRGB(h: Int, s: Int, v: Int, drop: UnsafePointer<Float>) -> (UInt8, UInt8, UInt8) {
        let vf = Float(v)
        let vs = vf * Float(s) * (1 / 255)
        let d = drop + 4 * h
        return (UInt8(vf - vs * d[0] + 0.5), UInt8(vf - vs * d[1] + 0.5), UInt8(vf - vs * d[2] + 0.5))
    }

    /// Converts `pixels` RGB pixels to (H, S, V) in place.
    static func rgbToHSV(_ p: UnsafeMutablePointer<UInt8>, pixels: Int) {
        HSVTables.shared.reciprocal.withUnsafeBufferPointer { rec in
            for i in 0..<pixels {
                let q = p + 3 * i
                let hsv = toHSV(q[0], q[1], q[2], reciprocal: rec.baseAddress!)
                q[0] = UInt8(hsv.h); q[1] = UInt8(hsv.s); q[2] = UInt8(hsv.v)
            }
        }
    }

    /// Converts `pixels` (H, S, V) pixels to RGB in place.
    static func hsvToRGB(_ p: UnsafeMutablePointer<UInt8>, pixels: Int) {
        HSVTables.shared.drop.withUnsafeBufferPointer { drop in
            for i in 0..<pixels {
                let q = p + 3 * i
                let rgb = toRGB(h: Int(q[0]), s: Int(q[1]), v: Int(q[2]), drop: drop.baseAddress!)
                q[0] = rgb.0; q[1] = rgb.1; q[2] = rgb.2
            }
        }
    }

    /// Saturating `round(x)` into 0…255 (OpenCV's `saturate_cast<uchar>`, half to even).
    @inline(__always) static func saturate(_ x: Float) -> UInt8 {
        let r = x.rounded(.toNearestOrEven)
        return r <= 0 ? 0 : (r >= 255 ? 255 : UInt8(r))
    }

    /// darknet's HSV jitter in place on `pixels` RGB pixels: S·dsat, V·dexp, H + 179·dhue, each saturated to
    /// 0…255 independently (so hue does not wrap at 180; values 180…255 are re-read as hues past 360°).
    static func jitterHSV(_ p: UnsafeMutablePointer<UInt8>, pixels: Int, dhue: Float, dsat: Float, dexp: Float) {
        let tables = HSVTables.shared
        var maps = [UInt8](repeating: 0, count: 3 * 256)   // hue, saturation, value
        let shift = 179 * dhue
        for i in 0..<256 {
            maps[i] = saturate(Float(i) + shift)
            maps[256 + i] = saturate(Float(i) * dsat)
            maps[512 + i] = saturate(Float(i) * dexp)
        }
        maps.withUnsafeBufferPointer { maps in
        tables.reciprocal.withUnsafeBufferPointer { rec in
        tables.drop.withUnsafeBufferPointer { drop in
            let hm = maps.baseAddress!, sm = hm + 256, vm = hm + 512
            for i in 0..<pixels {
                let q = p + 3 * i
                let hsv = toHSV(q[0], q[1], q[2], reciprocal: rec.baseAddress!)
                let rgb = toRGB(h: Int(hm[hsv.h]), s: Int(sm[hsv.s]), v: Int(vm[hsv.v]), drop: drop.baseAddress!)
                q[0] = rgb.0; q[1] = rgb.1; q[2] = rgb.2
            }
        }}}
    }

    // MARK: Output

    /// `v/255` per byte, computed as darknet does (double division, stored as float).
    static let unitScale: [Float] = (0..<256).map { Float(Double($0) / 255.0) }

    /// Interleaved RGB bytes → planar float CHW in [0,1].
    static func toPlanarFloat(_ src: UnsafePointer<UInt8>, pixels: Int, into out: UnsafeMutablePointer<Float>) {
        unitScale.withUnsafeBufferPointer { lut in
            let r = out, g = out + pixels, b = out + 2 * pixels
            for i in 0..<pixels {
                r[i] = lut[Int(src[3 * i])]
                g[i] = lut[Int(src[3 * i + 1])]
                b[i] = lut[Int(src[3 * i + 2])]
            }
        }
    }
}
