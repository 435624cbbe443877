import CImageCodec
import Foundation
import SwiftnetFormat

/// 8-bit interleaved RGB pixels: what images are decoded to, drawn on and encoded from.
public struct RGBImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]? = nil) {
        self.width = width
        self.height = height
        self.pixels = pixels ?? [UInt8](repeating: 0, count: width * height * 3)
    }

    /// Converts to darknet's float layout.
    public func toImage(channels: Int = 3) -> Image {
        pixels.withUnsafeBufferPointer { Image(rgb8: $0.baseAddress!, width: width, height: height, channels: channels) }
    }
}

/// Image file formats swiftnet reads and writes.
public enum ImageFormat: String, Sendable {
    case jpeg, png

    /// Chooses by file extension (`.png` → PNG, otherwise JPEG).
    public static func forPath(_ path: String) -> ImageFormat {
        path.lowercased().hasSuffix(".png") ? .png : .jpeg
    }
}

/// Decoding and encoding through libjpeg(-turbo) and libpng. Errors name the file.
public enum ImageIO {
    /// Reads and decodes a JPEG or PNG file to 8-bit RGB (grey expanded, alpha dropped; EXIF orientation is not
    /// applied, as in darknet's stb_image build).
    public static func readRGB(_ path: String) throws -> RGBImage {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SwiftnetError.image(path: path, message: "no such file")
        }
        guard !isDirectory.boolValue else { throw SwiftnetError.image(path: path, message: "is a directory, expected an image") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SwiftnetError.image(path: path, message: "cannot read file")
        }
        return try decode(data, path: path)
    }

    /// Whose JPEG pixels to produce.
    public enum JPEGPixels: Sendable {
        /// darknet's: stb_image's IDCT, chroma upsampling and colour conversion (the default everywhere).
        case darknet
        /// libjpeg-turbo's defaults (islow IDCT, fancy upsampling), as OpenCV and most other tools decode.
        case libjpeg
    }

    /// Decodes JPEG or PNG bytes (`path` names them in errors). JPEGs give darknet's exact pixels unless
    /// `jpeg` asks for libjpeg's; files darknet's decoder cannot read (arithmetic coding) fall back to libjpeg.
    public static func decode(_ data: Data, path: String, jpeg: JPEGPixels = .darknet) throws -> RGBImage {
        guard !data.isEmpty else { throw SwiftnetError.image(path: path, message: "empty file") }
        let isJPEG = data.starts(with: [0xFF, 0xD8])
        let isPNG = data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        guard isJPEG || isPNG else {
            throw SwiftnetError.image(path: path, message: "not a JPEG or PNG image (unrecognised file signature)")
        }
        if isJPEG, jpeg == .darknet, let image = try DarknetJPEG.decode(data, path: path) { return image }
        var decoded = sn_decoded_image()
        let status = data.withUnsafeBytes { raw -> Int32 in
            let base = raw.bindMemory(to: UInt8.self).baseAddress!
            return isJPEG ? sn_decode_jpeg(base, raw.count, &decoded) : sn_decode_png(base, raw.count, &decoded)
        }
        guard status == 0, let pixels = decoded.pixels else {
            let message = withUnsafeBytes(of: decoded.error) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            throw SwiftnetError.image(path: path, message: "corrupt or unsupported \(isJPEG ? "JPEG" : "PNG"): \(message)")
        }
        defer { sn_free(pixels) }
        let count = Int(decoded.width) * Int(decoded.height) * 3
        guard decoded.width > 0, decoded.height > 0 else { throw SwiftnetError.image(path: path, message: "image has no pixels") }
        return RGBImage(width: Int(decoded.width), height: Int(decoded.height), pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }

    /// Loads an image file as darknet does: float CHW in [0, 1] with `channels` channels.
    public static func load(_ path: String, channels: Int = 3) throws -> Image {
        guard channels == 1 || channels == 3 else {
            throw SwiftnetError.invalid("networks with channels=\(channels) are not supported for image input (1 or 3)")
        }
        return try readRGB(path).toImage(channels: channels)
    }

    /// Encodes to JPEG or PNG bytes.
    public static func encode(_ image: RGBImage, format: ImageFormat, quality: Int = 90) throws -> Data {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var error = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer { pixels -> Int32 in
            switch format {
            case .jpeg: return sn_encode_jpeg(pixels.baseAddress!, Int32(image.width), Int32(image.height), Int32(quality), &out, &size, &error, 256)
            case .png: return sn_encode_png(pixels.baseAddress!, Int32(image.width), Int32(image.height), &out, &size, &error, 256)
            }
        }
        guard status == 0, let out else { throw SwiftnetError.invalid("image encoding failed: \(String(cString: error))") }
        defer { sn_free(out) }
        return Data(bytes: out, count: size)
    }

    /// Encodes (format from the extension: `.jpg`/`.jpeg` or `.png`; others are refused) and writes atomically.
    public static func write(_ image: RGBImage, to path: String, quality: Int = 90) throws {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard ["jpg", "jpeg", "png"].contains(ext) else {
            throw SwiftnetError.image(path: path, message: "cannot write .\(ext.isEmpty ? "(no extension)" : ext) files; name it .jpg or .png")
        }
        let data = try encode(image, format: ImageFormat.forPath(path), quality: quality)
        try AtomicFile.write(data, to: path)
    }
}
