import Foundation

/// A fixed-size, 64-byte aligned float32 array with reference semantics: the storage of every tensor.
public final class Buffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    /// Bytes mapped with `mmap` (large buffers), 0 for heap allocations.
    private let mappedBytes: Int

    /// Allocates `count` floats, zero-filled. Large buffers (1 MiB and more) are fresh anonymous mappings: their
    /// pages read as zero and take memory only once written, so a buffer replaced before use (memory planning)
    /// never counts.
    public init(count: Int) {
        self.count = count
        let bytes = max(1, count) * MemoryLayout<Float>.stride
        if bytes >= 1 << 20, let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
           mapped != MAP_FAILED {
            mappedBytes = bytes
            pointer = mapped.bindMemory(to: Float.self, capacity: max(1, count))
            return
        }
        mappedBytes = 0
        var raw: UnsafeMutableRawPointer?
        if posix_memalign(&raw, 64, bytes) != 0 || raw == nil {
            raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        }
        pointer = raw!.bindMemory(to: Float.self, capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    /// Allocates a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit {
        if mappedBytes > 0 { munmap(pointer, mappedBytes) } else { free(pointer) }
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    public func copy(from other: Buffer) {
        precondition(other.count == count)
        pointer.update(from: other.pointer, count: count)
    }

    public var array: [Float] { Array(buffer) }
}
