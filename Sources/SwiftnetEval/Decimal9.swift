import Foundation

/// Rounding of a double to float32 through its `%.9g` decimal text, the path a coordinate takes
/// when a YOLO label file is written with 9 significant digits and read back with `%f`.
///
/// Going through the decimal text can differ by one float32 ulp from `Float(double)` (double
/// rounding), so the label-file route and the COCO-JSON route would otherwise disagree in the
/// last bit of some IoUs.
enum Decimal9 {
    static func float(_ v: Double) -> Float {
        guard v.isFinite else { return Float(v) }
        var buffer = [CChar](repeating: 0, count: 40)
        let n = buffer.withUnsafeMutableBufferPointer { p in
            withVaList([v]) { vsnprintf(p.baseAddress, 40, "%.9g", $0) }
        }
        guard n > 0, n < 40 else { return Float(v) }
        let text = String(decoding: buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Float(text) ?? Float(v)
    }
}
