import Foundation

/// The 12- or 20-byte header of a darknet `.weights` file (spec §3.1).
public struct WeightsHeader: Equatable, Sendable {
    public var major: Int32
    public var minor: Int32
    public var revision: Int32
    /// Images seen in training.
    public var seen: UInt64

    public init(major: Int32 = 0, minor: Int32 = 2, revision: Int32 = 5, seen: UInt64 = 0) {
        self.major = major
        self.minor = minor
        self.revision = revision
        self.seen = seen
    }

    /// AlexeyAB's rule: `seen` is 8 bytes when `major·10 + minor ≥ 2`, else 4.
    public var seenIs64Bit: Bool { Int(major) * 10 + Int(minor) >= 2 }
    public var byteCount: Int { seenIs64Bit ? 20 : 16 }
    /// Files with a version field above 1000 store `[connected]` matrices transposed.
    public var transposed: Bool { major > 1000 || minor > 1000 }
}

/// The parameter arrays of one layer, in file order, bound to the memory they are read into or written from.
public struct WeightsRecord {
    public var layer: Int
    /// The layer's kind, for messages (e.g. `convolutional`).
    public var kind: String
    public var arrays: [(name: String, storage: UnsafeMutableBufferPointer<Float>)]

    public init(layer: Int, kind: String, arrays: [(name: String, storage: UnsafeMutableBufferPointer<Float>)]) {
        self.layer = layer
        self.kind = kind
        self.arrays = arrays
    }

    public var floatCount: Int { arrays.reduce(0) { $0 + $1.storage.count } }
}

/// What a load found.
public struct WeightsLoadResult: Sendable {
    public var header: WeightsHeader
    /// Records fully loaded (all of them unless a partial load was asked for).
    public var loadedRecords: Int
    public var totalRecords: Int
    /// Index of the first layer not loaded (partial loads), if any.
    public var firstMissingLayer: Int?
    public var fileBytes: Int
    public var expectedBytes: Int
}

/// Reading and writing darknet `.weights` with exact byte accounting (spec §3).
public enum WeightsFile {
    /// Bytes a file for these records needs with a 20-byte header.
    public static func expectedBytes(records: [WeightsRecord], header: WeightsHeader = WeightsHeader()) -> Int {
        header.byteCount + 4 * records.reduce(0) { $0 + $1.floatCount }
    }

    /// Loads records in order. A file that ends early or has bytes left over is an error naming the layer where it
    /// went wrong; with `allowPartial`, a file ending exactly at a layer boundary loads the complete layers.
    public static func load(path: String, records: [WeightsRecord], allowPartial: Bool = false) throws -> WeightsLoadResult {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SwiftnetError.file(path: path, message: "no such file")
        }
        guard !isDirectory.boolValue else { throw SwiftnetError.file(path: path, message: "is a directory, expected a .weights file") }
        let data: Data
        do {
            // Mapped when possible; special files (pipes, devices) cannot be mapped but can still be read.
            if let mapped = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) {
                data = mapped
            } else {
                guard let handle = FileHandle(forReadingAtPath: path) else { throw SwiftnetError.file(path: path, message: "cannot open for reading") }
                defer { try? handle.close() }
                data = try handle.readToEnd() ?? Data()
            }
        } catch let error as SwiftnetError {
            throw error
        } catch {
            throw SwiftnetError.file(path: path, message: "cannot read: \(error.localizedDescription)")
        }
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> WeightsLoadResult in
            try load(bytes: raw, path: path, records: records, allowPartial: allowPartial)
        }
    }

    static func load(bytes: UnsafeRawBufferPointer, path: String, records: [WeightsRecord], allowPartial: Bool) throws -> WeightsLoadResult {
        let size = bytes.count
        guard size >= 16 else {
            throw SwiftnetError.weights(path: path, message: "file is \(size) bytes, too short for a darknet weights header")
        }
        var header = WeightsHeader(major: bytes.loadUnaligned(fromByteOffset: 0, as: Int32.self),
                                   minor: bytes.loadUnaligned(fromByteOffset: 4, as: Int32.self),
                                   revision: bytes.loadUnaligned(fromByteOffset: 8, as: Int32.self))
        if header.seenIs64Bit {
            guard size >= 20 else {
                throw SwiftnetError.weights(path: path, message: "file is \(size) bytes, too short for a darknet weights header (20 bytes for version \(header.major).\(header.minor))")
            }
            header.seen = bytes.loadUnaligned(fromByteOffset: 12, as: UInt64.self)
        } else {
            header.seen = UInt64(bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        }
        let expected = expectedBytes(records: records, header: header)
        var offset = header.byteCount
        var loaded = 0
        for record in records {
            let needed = 4 * record.floatCount
            if offset + needed > size {
                if allowPartial && offset == size { break }
                if offset == size {
                    // A backbone file (`darknet partial`): it ends exactly where this layer's weights would begin.
                    let previous = loaded > 0 ? "after layer \(records[loaded - 1].layer) (\(records[loaded - 1].kind))" : "after the header"
                    throw SwiftnetError.weights(path: path, message:
                        "file is \(size) bytes but this cfg needs \(expected); it ends at a layer boundary, \(previous), and holds the weights of \(loaded) of \(records.count) layers with parameters (layer \(record.layer) and later have none). "
                        + "A backbone from `partial`? Pass --partial to load it and keep the other layers' initial values")
                }
                throw SwiftnetError.weights(path: path, message:
                    "file is \(size) bytes but this cfg needs \(expected); it ends inside layer \(record.layer) (\(record.kind)), "
                    + "which needs bytes \(offset)..<\(offset + needed)"
                    + (allowPartial ? " (--partial loads only files that end at a layer boundary)" : " — truncated file or weights for a different cfg?"))
            }
            for (name, storage) in record.arrays where storage.count > 0 {
                let base = storage.baseAddress!
                UnsafeMutableRawPointer(base).copyMemory(from: bytes.baseAddress! + offset, byteCount: 4 * storage.count)
                let bad = storage.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
                if bad > 0 {
                    throw SwiftnetError.weights(path: path, message:
                        "layer \(record.layer) (\(record.kind)) \(name): \(bad) of \(storage.count) values are NaN or infinite (bytes \(offset)..<\(offset + 4 * storage.count)) — a damaged file or weights saved after training diverged")
                }
                offset += 4 * storage.count
            }
            loaded += 1
        }
        if offset < size && loaded == records.count {
            let last = records.last.map { "layer \($0.layer) (\($0.kind))" } ?? "the header"
            throw SwiftnetError.weights(path: path, message:
                "file is \(size) bytes but this cfg needs exactly \(expected): \(size - offset) bytes are left after the last parameters (\(last)) — weights for a different cfg?")
        }
        return WeightsLoadResult(header: header, loadedRecords: loaded, totalRecords: records.count,
                                 firstMissingLayer: loaded < records.count ? records[loaded].layer : nil,
                                 fileBytes: size, expectedBytes: expected)
    }

    /// Writes header and records atomically.
    public static func save(path: String, header: WeightsHeader, records: [WeightsRecord]) throws {
        var data = Data(capacity: expectedBytes(records: records, header: header))
        withUnsafeBytes(of: header.major.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: header.minor.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: header.revision.littleEndian) { data.append(contentsOf: $0) }
        if header.seenIs64Bit {
            withUnsafeBytes(of: header.seen.littleEndian) { data.append(contentsOf: $0) }
        } else {
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: header.seen).littleEndian) { data.append(contentsOf: $0) }
        }
        for record in records {
            for (_, storage) in record.arrays {
                data.append(UnsafeBufferPointer(storage))
            }
        }
        try AtomicFile.write(data, to: path)
    }
}
