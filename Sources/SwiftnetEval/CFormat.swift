import Foundation

/// C `printf` formatting through the C library, so darknet's report lines come out byte for byte
/// (including glibc's `-nan`).
func cFormat(_ format: String, _ args: CVarArg...) -> String {
    var capacity = 256
    while true {
        var buffer = [CChar](repeating: 0, count: capacity)
        let n = buffer.withUnsafeMutableBufferPointer { p in
            withVaList(args) { vsnprintf(p.baseAddress, capacity, format, $0) }
        }
        if n < 0 { return "" }
        if Int(n) < capacity {
            return String(decoding: buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        capacity = Int(n) + 1
    }
}
