/// Blocks of the CSP-DarkNet-53 family and the YOLOv4 necks built on it.
extension NetworkBuilder {
    /// A cross-stage-partial stage: a 3×3/2 downsampling convolution to `filters`, split by two 1×1 convolutions of
    /// `split` channels; one part runs `blocks` residual blocks (1×1 `hidden`, 3×3 `split`), then both parts are
    /// concatenated and fused by a 1×1 transition to `filters`.
    ///
    /// - Returns: the index of the transition (the stage output).
    @discardableResult
    public mutating func cspStage(filters: Int, blocks: Int, split: Int? = nil, hidden: Int? = nil) -> Int {
        let split = split ?? filters / 2
        comment("Downsample to \(filters) filters; CSP stage of \(blocks) residual block\(blocks == 1 ? "" : "s")")
        let down = conv(filters, size: 3, stride: 2)
        let bypass = conv(split, size: 1)
        route(.layer(down))
        conv(split, size: 1)
        for _ in 0..<blocks { residual(hidden: hidden ?? split, filters: split) }
        conv(split, size: 1)
        route(.layer(last), .layer(bypass))
        return conv(filters, size: 1)
    }

    /// CSP-DarkNet-53: a 3×3 stem of 32 filters and five CSP stages (64…1024 filters; 1, 2, 8, 8, 4 blocks; the
    /// first stage keeps all 64 channels in both parts).
    ///
    /// - Returns: the outputs at strides 8, 16 and 32.
    @discardableResult
    public mutating func cspDarknet53() -> (stride8: Int, stride16: Int, stride32: Int) {
        comment("CSP-DarkNet-53")
        conv(32, size: 3)
        cspStage(filters: 64, blocks: 1, split: 64, hidden: 32)
        cspStage(filters: 128, blocks: 2)
        let stride8 = cspStage(filters: 256, blocks: 8)
        let stride16 = cspStage(filters: 512, blocks: 8)
        let stride32 = cspStage(filters: 1024, blocks: 4)
        return (stride8, stride16, stride32)
    }

    /// `count` convolutions alternating 1×1 `filters` and 3×3 `2 × filters`, starting and ending with 1×1 for odd
    /// counts (YOLOv3/v4's detection-neck sets).
    @discardableResult
    public mutating func convSet(filters: Int, count: Int) -> Int {
        for i in 0..<count {
            if i % 2 == 0 { conv(filters, size: 1) } else { conv(2 * filters, size: 3) }
        }
        return last
    }

    /// PANet top-down step of YOLOv4: reduce and upsample the previous layer, concatenate it after a 1×1 reduction of
    /// the backbone output `lateral`, then a set of five convolutions.
    @discardableResult
    public mutating func topDown(lateral: Int, filters: Int) -> Int {
        conv(filters, size: 1)
        let upsampled = upsample()
        route(.absolute(lateral))
        conv(filters, size: 1)
        route(.layer(last), .layer(upsampled))
        return convSet(filters: filters, count: 5)
    }

    /// PANet bottom-up step of YOLOv4: downsample `from` with a 3×3/2 convolution, concatenate with the top-down
    /// output `into`, then a set of five convolutions.
    @discardableResult
    public mutating func bottomUp(from: Int, into: Int, filters: Int) -> Int {
        route(.layer(from))
        conv(filters, size: 3, stride: 2)
        route(.layer(last), .layer(into))
        return convSet(filters: filters, count: 5)
    }

    /// A CSP block of the YOLOv4-pacsp neck: a 1×1 convolution split into a 1×1 bypass and `depth` pairs of
    /// 1×1/3×3 convolutions, concatenated and fused by a 1×1 convolution (all `filters` wide).
    @discardableResult
    public mutating func cspBlock(filters: Int, depth: Int) -> Int {
        let input = conv(filters, size: 1)
        let bypass = conv(filters, size: 1)
        route(.layer(input))
        for _ in 0..<depth {
            conv(filters, size: 1)
            conv(filters, size: 3)
        }
        route(.layer(last), .layer(bypass))
        return conv(filters, size: 1)
    }

    /// CSP-SPP: SPP inside a CSP block on the previous layer. The pooled path has `2 × depth + 1` convolutions
    /// alternating 1×1/3×3, with the pooling after the first (depth 1) or the third.
    @discardableResult
    public mutating func cspSPP(filters: Int, depth: Int) -> Int {
        let input = last
        let bypass = conv(filters, size: 1)
        route(.layer(input))
        let pairsBefore = min(depth - 1, 1)
        conv(filters, size: 1)
        for _ in 0..<pairsBefore {
            conv(filters, size: 3)
            conv(filters, size: 1)
        }
        spp()
        for _ in pairsBefore..<depth {
            conv(filters, size: 1)
            conv(filters, size: 3)
        }
        route(.layer(last), .layer(bypass))
        return conv(filters, size: 1)
    }

    /// CSP-PANet top-down step: reduce and upsample the previous layer, concatenate after a 1×1 reduction of the
    /// backbone output `lateral`, then a ``cspBlock(filters:depth:)``.
    @discardableResult
    public mutating func cspTopDown(lateral: Int, filters: Int, depth: Int) -> Int {
        conv(filters, size: 1)
        let upsampled = upsample()
        route(.absolute(lateral))
        conv(filters, size: 1)
        route(.layer(last), .layer(upsampled))
        return cspBlock(filters: filters, depth: depth)
    }

    /// CSP-PANet bottom-up step: downsample `from` with a 3×3/2 convolution, concatenate with `into`, then a
    /// ``cspBlock(filters:depth:)``.
    @discardableResult
    public mutating func cspBottomUp(from: Int, into: Int, filters: Int, depth: Int) -> Int {
        route(.layer(from))
        conv(filters, size: 3, stride: 2)
        route(.layer(last), .layer(into))
        return cspBlock(filters: filters, depth: depth)
    }
}
