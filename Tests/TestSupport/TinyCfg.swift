/// The smallest detector cfg the CLI tests use: a 32×32×3 input, a 3×3 leaky convolution with 12 filters and a
/// 1×1 linear one feeding a two-class, two-anchor `[yolo]` (12·28 + 14·13 floats, plus 36 with batch-norm).
///
/// Line numbers matter to tests that check `file:line` messages: `[net]` is line 1, its keys lines 2–4, then the
/// `netKeys` lines, then the first `[convolutional]`. The text has no final newline (tests append keys to `[yolo]`).
public enum TinyCfg {
    public static func detector(netKeys: [String] = [], batchNormalize: Bool = false) -> String {
        var lines = ["[net]", "width=32", "height=32", "channels=3"] + netKeys
        lines += ["[convolutional]", "filters=12", "size=3", "pad=1", "activation=leaky"]
        if batchNormalize { lines.append("batch_normalize=1") }
        lines += ["[convolutional]", "filters=14", "size=1", "activation=linear"]
        lines += ["[yolo]", "mask=0,1", "anchors=4,4, 8,8", "classes=2", "num=2"]
        return lines.joined(separator: "\n")
    }
}
