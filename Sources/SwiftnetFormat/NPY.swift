import Foundation

/// NumPy `.npy` files of float32 (version 1.0, little-endian, C order): how raw tensors are exchanged with the
/// reference implementations.
public enum NPY {
    /// Writes `values` with `shape` atomically.
    public static func write(path: String, shape: [Int], values: UnsafeBufferPointer<Float>) throws {
        precondition(shape.reduce(1, *) == values.count)
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(values)
        try AtomicFile.write(data, to: path)
    }

    /// Reads a float32 `.npy` file: its shape and values.
    public static func read(path: String) throws -> (shape: [Int], values: [Float]) {
        let (shape, bytes, start) = try contents(path: path, descr: "<f4", itemSize: 4)
        var values = [Float](repeating: 0, count: shape.reduce(1, *))
        values.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start...])) }
        }
        return (shape, values)
    }

    /// Reads a uint8 `.npy` file: its shape and values.
    public static func readBytes(path: String) throws -> (shape: [Int], values: [UInt8]) {
        let (shape, bytes, start) = try contents(path: path, descr: "|u1", itemSize: 1)
        return (shape, Array(bytes[start...]))
    }

    /// The shape, the whole file and where the data starts, for a C-order file of `descr` items.
    private static func contents(path: String, descr: String, itemSize: Int) throws -> (shape: [Int], bytes: [UInt8], start: Int) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SwiftnetError.file(path: path, message: "cannot read file")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw SwiftnetError.file(path: path, message: "not a .npy file")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else {
            guard bytes.count >= 12 else { throw SwiftnetError.file(path: path, message: "truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        }
        guard headerStart + headerLength <= bytes.count,
              let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .ascii) else {
            throw SwiftnetError.file(path: path, message: "truncated .npy header")
        }
        guard header.contains("'descr': '\(descr)'"), header.contains("'fortran_order': False") else {
            throw SwiftnetError.file(path: path, message: "expected a C-order .npy file of '\(descr)' values")
        }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw SwiftnetError.file(path: path, message: "no shape in .npy header")
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let start = headerStart + headerLength
        guard bytes.count - start == itemSize * shape.reduce(1, *) else {
            throw SwiftnetError.file(path: path, message: ".npy data has \(bytes.count - start) bytes, expected \(itemSize * shape.reduce(1, *))")
        }
        return (shape, bytes, start)
    }
}
