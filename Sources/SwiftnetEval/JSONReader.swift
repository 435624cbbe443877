import Foundation

/// A forward-only reader over the bytes of a JSON document, written for the few fixed shapes the
/// loaders need (COCO instances, COCO results, darknet `-out`). It never builds a document tree:
/// loaders pull values in order and skip what they do not use. Errors name the file, line and column.
struct JSONReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0
    let path: String

    init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Reads `path` into memory and runs `body` on a reader over it.
    static func withFile<T>(_ path: String, _ body: (inout JSONReader) throws -> T) throws -> T {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EvalError.unreadableFile(path: path, reason: error.localizedDescription)
        }
        return try withData(data, name: path, body)
    }

    /// Runs `body` on a reader over `data`; `name` is used in error messages.
    static func withData<T>(_ data: Data, name: String, _ body: (inout JSONReader) throws -> T) throws -> T {
        try data.withUnsafeBytes { raw in
            var reader = JSONReader(bytes: raw.bindMemory(to: UInt8.self), path: name)
            return try body(&reader)
        }
    }

    // MARK: Errors

    /// An `EvalError.invalidJSON` at `offset` (default: the current position).
    func error(_ reason: String, at offset: Int? = nil) -> EvalError {
        let end = min(offset ?? position, bytes.count)
        var line = 1, lineStart = 0
        var i = 0
        while i < end {
            if bytes[i] == 0x0A {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        return .invalidJSON(path: path, line: line, column: end - lineStart + 1, reason: reason)
    }

    private func describe(_ c: UInt8) -> String {
        (0x21..<0x7F).contains(c) ? "'\(Character(Unicode.Scalar(c)))'" : String(format: "byte 0x%02X", c)
    }

    // MARK: Structure

    @inline(__always)
    mutating func skipWhitespace() {
        while position < bytes.count {
            let c = bytes[position]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            position += 1
        }
    }

    /// The next non-whitespace byte, without consuming it.
    @inline(__always)
    mutating func peek() throws -> UInt8 {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end of input") }
        return bytes[position]
    }

    @inline(__always)
    mutating func expect(_ c: UInt8, _ what: String) throws {
        let got = try peek()
        guard got == c else { throw error("expected \(what), found \(describe(got))") }
        position += 1
    }

    mutating func beginObject(_ what: String = "an object") throws {
        let got = try peek()
        guard got == UInt8(ascii: "{") else { throw error("expected \(what), found \(describe(got))") }
        position += 1
    }

    mutating func beginArray(_ what: String = "an array") throws {
        let got = try peek()
        guard got == UInt8(ascii: "[") else { throw error("expected \(what), found \(describe(got))") }
        position += 1
    }

    /// Advances to the next element of the array or object opened last; returns false (and consumes
    /// the closing bracket) at its end. `first` must start as `true` for each container.
    @inline(__always)
    mutating func nextElement(closing: UInt8, first: inout Bool) throws -> Bool {
        let c = try peek()
        if c == closing {
            position += 1
            return false
        }
        if first {
            first = false
        } else {
            guard c == UInt8(ascii: ",") else {
                throw error("expected ',' or '\(Character(Unicode.Scalar(closing)))', found \(describe(c))")
            }
            position += 1
        }
        return true
    }

    mutating func nextArrayElement(_ first: inout Bool) throws -> Bool {
        try nextElement(closing: UInt8(ascii: "]"), first: &first)
    }

    /// Reads the next member name of an object (and the `:` after it); nil at the object's end.
    mutating func nextKey(_ first: inout Bool) throws -> Key? {
        guard try nextElement(closing: UInt8(ascii: "}"), first: &first) else { return nil }
        let key = try readKey()
        try expect(UInt8(ascii: ":"), "':' after an object key")
        return key
    }

    /// Succeeds only if nothing but whitespace is left.
    mutating func expectEnd() throws {
        skipWhitespace()
        if position < bytes.count { throw error("unexpected \(describe(bytes[position])) after the top-level value") }
    }

    // MARK: Keys

    /// An object member name, kept as a byte range unless it contained escapes.
    struct Key {
        fileprivate var range: Range<Int>
        fileprivate var decoded: String?
    }

    private mutating func readKey() throws -> Key {
        guard try peek() == UInt8(ascii: "\"") else { throw error("expected an object key string") }
        let start = position + 1
        var i = start
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                position = i + 1
                return Key(range: start..<i, decoded: nil)
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("control character in string", at: i) }
            i += 1
        }
        let text = try readString()
        return Key(range: 0..<0, decoded: text)
    }

    /// Whether `key` spells `literal`.
    func key(_ key: Key, is literal: StaticString) -> Bool {
        if let decoded = key.decoded { return decoded == literal.description }
        let n = literal.utf8CodeUnitCount
        guard key.range.count == n else { return false }
        let p = literal.utf8Start
        var i = 0
        while i < n {
            if bytes[key.range.lowerBound + i] != p[i] { return false }
            i += 1
        }
        return true
    }

    /// The key's text, for messages.
    func text(of key: Key) -> String {
        key.decoded ?? String(decoding: UnsafeBufferPointer(rebasing: bytes[key.range]), as: UTF8.self)
    }

    // MARK: Values

    mutating func readString(_ what: String = "a string") throws -> String {
        let got = try peek()
        guard got == UInt8(ascii: "\"") else { throw error("expected \(what), found \(describe(got))") }
        position += 1
        let start = position
        var i = start
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                position = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("control character in string", at: i) }
            i += 1
        }
        var out = [UInt8](bytes[start..<i])
        position = i
        while position < bytes.count {
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c < 0x20 { throw error("control character in string") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                position += 1
                continue
            }
            guard position + 1 < bytes.count else { break }
            let e = bytes[position + 1]
            position += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else { throw error("unpaired UTF-16 surrogate") }
                    position += 2
                    let low = try readHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired UTF-16 surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'", at: position - 2)
            }
        }
        throw error("unterminated string", at: start - 1)
    }

    private mutating func readHex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            position += 1
        }
        return v
    }

    /// Reads a JSON number as the correctly rounded double (same value Python's `json` gives).
    mutating func readDouble(_ what: String = "a number") throws -> Double {
        skipWhitespace()
        let start = position
        var i = position
        let n = bytes.count
        var negative = false
        if i < n, bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < n, isDigit(bytes[i]) else {
            if i < n { throw error("expected \(what), found \(describe(bytes[i]))", at: i) }
            throw error("expected \(what), found end of input", at: i)
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var exp10 = 0
        var exact = true
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < n, isDigit(bytes[i]) {
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(bytes[i] &- 0x30)
                    significant += 1
                } else {
                    exact = false
                    exp10 += 1
                }
                i += 1
            }
        }
        if i < n, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < n, isDigit(bytes[i]) else { throw error("expected a digit after '.'", at: i) }
            while i < n, isDigit(bytes[i]) {
                let d = UInt64(bytes[i] &- 0x30)
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ d
                    if mantissa != 0 { significant += 1 }
                    exp10 -= 1
                } else if d != 0 {
                    exact = false
                }
                i += 1
            }
        }
        if i < n, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if i < n, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < n, isDigit(bytes[i]) else { throw error("expected a digit in the exponent", at: i) }
            var e = 0
            while i < n, isDigit(bytes[i]) {
                if e < 100_000 { e = e * 10 + Int(bytes[i] &- 0x30) }
                i += 1
            }
            exp10 += expNegative ? -e : e
        }
        position = i
        // Clinger's fast path: an exact integer mantissa times/over an exact power of ten is
        // correctly rounded by a single IEEE operation.
        if exact, mantissa <= 1 << 53, exp10 >= -22, exp10 <= 22 {
            var v = Double(mantissa)
            if exp10 < 0 { v /= JSONReader.powersOfTen[-exp10] } else { v *= JSONReader.powersOfTen[exp10] }
            return negative ? -v : v
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let v = Double(text) else { throw error("invalid number '\(text)'", at: start) }
        return v
    }

    /// Reads a JSON number that must be an integer (`3` or `3.0`).
    mutating func readInt(_ what: String = "an integer") throws -> Int {
        skipWhitespace()
        let start = position
        var i = position
        let n = bytes.count
        var negative = false
        if i < n, bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        var v = 0
        var digits = 0
        while i < n, isDigit(bytes[i]), digits < 18 {
            v = v * 10 + Int(bytes[i] &- 0x30)
            digits += 1
            i += 1
        }
        let ends = i >= n || !(isDigit(bytes[i]) || bytes[i] == UInt8(ascii: ".")
                               || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E"))
        if digits > 0, ends, !(digits > 1 && bytes[start + (negative ? 1 : 0)] == UInt8(ascii: "0")) {
            position = i
            return negative ? -v : v
        }
        let d = try readDouble(what)
        guard d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else {
            throw error("expected \(what), found \(d)", at: start)
        }
        return Int(d)
    }

    /// Reads `true` or `false` (a number is accepted as its truth value, as Python would).
    mutating func readBool(_ what: String = "a boolean") throws -> Bool {
        let c = try peek()
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        if c == UInt8(ascii: "-") || isDigit(c) { return try readDouble(what) != 0 }
        throw error("expected \(what), found \(describe(c))")
    }

    /// Consumes `null` if it is next.
    mutating func readNull() throws -> Bool {
        _ = try peek()
        return matchLiteral("null")
    }

    private mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard position + n <= bytes.count else { return false }
        let p = literal.utf8Start
        for k in 0..<n where bytes[position + k] != p[k] { return false }
        position += n
        return true
    }

    /// Skips one value of any type, validating it.
    mutating func skipValue(depth: Int = 0) throws {
        guard depth < 512 else { throw error("nesting too deep") }
        let c = try peek()
        switch c {
        case UInt8(ascii: "{"):
            position += 1
            var first = true
            while try nextKey(&first) != nil { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            position += 1
            var first = true
            while try nextArrayElement(&first) { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""):
            _ = try readString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            guard matchLiteral("true") || matchLiteral("false") || matchLiteral("null") else {
                throw error("invalid literal")
            }
        default:
            _ = try readDouble("a value")
        }
    }

    @inline(__always)
    private func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

    private static let powersOfTen: [Double] = (0...22).map { e in
        var v = 1.0
        for _ in 0..<e { v *= 10 }
        return v
    }
}
