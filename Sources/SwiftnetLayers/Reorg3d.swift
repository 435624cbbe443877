import Foundation
import SwiftnetCore
import SwiftnetFormat

/// `[reorg3d]`: space-to-depth by `stride` (offset-major channel order), or depth-to-space with `reverse=1`
/// (spec §1.8.13).
public final class Reorg3dLayer: PermutationLayer {
    public override var typeName: String { "reorg" }

    override func permute(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, inverse: Bool) {
        // The inverse reads the output layout: the kernel is given the shape it reads.
        let shape = inverse ? outputShape : inputShape
        Kernels.reorg3d(channels: shape.c, height: shape.h, width: shape.w, stride: config.stride,
                        reverse: config.reverse != inverse, input: input, output: output)
    }
}
