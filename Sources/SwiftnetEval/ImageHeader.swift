import Foundation

/// Reads an image's pixel size from its file header without decoding it.
///
/// Supports JPEG (any SOF marker), PNG, BMP and binary/ASCII PNM (`P1`–`P6`), the formats darknet
/// lists as image extensions apart from TIFF.
public enum ImageHeader {
    /// The size stored in the header of the image at `path`, or nil if the file is missing,
    /// unreadable or not in a supported format.
    public static func size(ofImageAt path: String) -> ImageSize? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 64), head.count >= 10 else { return nil }
        let b = [UInt8](head)
        if b[0] == 0xFF, b[1] == 0xD8 { return jpegSize(handle) }
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47]), b.count >= 24 {
            return make(be32(b, 16), be32(b, 20))
        }
        if b[0] == 0x42, b[1] == 0x4D, b.count >= 26 {
            let w = Int32(bitPattern: le32(b, 18)), h = Int32(bitPattern: le32(b, 22))
            return make(UInt32(w.magnitude), UInt32(h.magnitude))
        }
        if b[0] == UInt8(ascii: "P"), (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(b[1]) {
            return pnmSize(b)
        }
        return nil
    }

    private static func make(_ w: UInt32, _ h: UInt32) -> ImageSize? {
        guard w > 0, h > 0, w < 1 << 30, h < 1 << 30 else { return nil }
        return ImageSize(width: Int(w), height: Int(h))
    }

    private static func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    private static func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i + 3]) << 24 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i])
    }

    /// Walks the JPEG marker segments from offset 2 to the first SOFn.
    private static func jpegSize(_ handle: FileHandle) -> ImageSize? {
        var offset: UInt64 = 2
        for _ in 0..<10_000 {
            guard (try? handle.seek(toOffset: offset)) != nil,
                  let d = try? handle.read(upToCount: 9), d.count >= 4 else { return nil }
            let m = [UInt8](d)
            guard m[0] == 0xFF else { return nil }
            let marker = m[1]
            if marker == 0xFF { offset += 1; continue }                      // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { offset += 2; continue }
            let length = UInt64(m[2]) << 8 | UInt64(m[3])
            let isSOF = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isSOF {
                guard m.count >= 9 else { return nil }
                let h = UInt32(m[5]) << 8 | UInt32(m[6]), w = UInt32(m[7]) << 8 | UInt32(m[8])
                return make(w, h)
            }
            if marker == 0xD9 || marker == 0xDA || length < 2 { return nil }
            offset += 2 + length
        }
        return nil
    }

    /// `P<n> <width> <height>` with `#` comments between tokens.
    private static func pnmSize(_ b: [UInt8]) -> ImageSize? {
        var numbers: [UInt32] = []
        var i = 2
        while i < b.count, numbers.count < 2 {
            let c = b[i]
            if c == UInt8(ascii: "#") {
                while i < b.count, b[i] != 0x0A { i += 1 }
            } else if c >= 0x30, c <= 0x39 {
                var v: UInt32 = 0
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39, v < 1 << 30 {
                    v = v * 10 + UInt32(b[i] - 0x30)
                    i += 1
                }
                numbers.append(v)
                continue
            } else if !(c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09) {
                return nil
            }
            i += 1
        }
        return numbers.count == 2 ? make(numbers[0], numbers[1]) : nil
    }
}
