import Foundation
import SwiftnetFormat

/// The built-in shapes demo datasets that `swiftnet train CFG` and `swiftnet map` use when no `--data` is given:
/// generated once, deterministically, into a per-user cache folder and reused.
///
/// A dataset folder is trusted only when its manifest (written last, atomically) lists every file with its size and
/// checksum and they all still match; anything else — a folder left by an interrupted generation, a truncated or
/// edited file — is deleted and generated again.
public struct DemoDataset: Sendable {
    /// Which demo set: the detection set the bundled model was trained on, or a one-shape-per-image classification set.
    public enum Kind: String, Sendable {
        case detection
        case classification
    }

    public var kind: Kind
    /// The dataset folder.
    public var directory: String
    /// Its darknet `.data` file.
    public var dataFile: String
    /// Whether this call generated the files (false: a verified cache was reused).
    public var generated: Bool

    /// Number of classes of both demo sets.
    public static let classes = ShapesDataset.classNames.count

    /// The generation recipe of each kind: the detection set is the one `data/shapes.weights` was trained on
    /// (`swiftnet dataset shapes --count 2000 --seed 7`).
    static func recipe(_ kind: Kind) -> (name: String, count: Int, seed: UInt64, size: Int) {
        switch kind {
        case .detection: return ("shapes-detection-v1", 2000, 7, 256)
        case .classification: return ("shapes-classification-v1", 2000, 7, 64)
        }
    }

    /// `$XDG_CACHE_HOME/swiftnet`, else `$HOME/.cache/swiftnet`.
    public static func cacheRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/swiftnet" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/swiftnet"
    }

    /// Returns the demo dataset of `kind` under `cacheRoot`, generating it when it is missing or fails verification.
    /// `log` receives one line when the set is (re)generated.
    public static func prepare(_ kind: Kind, cacheRoot: String = cacheRoot(), log: (String) -> Void = { _ in }) throws -> DemoDataset {
        let recipe = recipe(kind)
        try ensurePrivateDirectory(cacheRoot)
        let directory = cacheRoot + "/" + recipe.name
        let lock = try CacheLock(path: cacheRoot + "/.lock")
        defer { lock.release() }
        let dataFile = directory + "/shapes.data"
        if let problem = verify(directory: directory) {
            if FileManager.default.fileExists(atPath: directory) {
                log("demo dataset in \(directory) is incomplete or changed (\(problem)): generating it again")
                do { try FileManager.default.removeItem(atPath: directory) } catch {
                    throw SwiftnetError.file(path: directory, message: "cannot remove the broken demo dataset: \(error.localizedDescription)")
                }
            } else {
                log("generating the \(kind.rawValue) demo dataset (\(recipe.count) images, once) in \(directory)")
            }
            _ = try ShapesDataset.generate(outputDirectory: directory, count: recipe.count, seed: recipe.seed,
                                           imageSize: recipe.size, classification: kind == .classification)
            try writeManifest(directory: directory)
            return DemoDataset(kind: kind, directory: directory, dataFile: dataFile, generated: true)
        }
        return DemoDataset(kind: kind, directory: directory, dataFile: dataFile, generated: false)
    }

    static let manifestName = "MANIFEST"

    /// Every regular file below `directory` (but the manifest and `backup/`), as sorted relative paths.
    static func files(in directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var result: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative == "backup" { walker.skipDescendants(); continue }
            guard relative != manifestName else { continue }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                result.append(relative)
            }
        }
        return result.sorted()
    }

    /// One manifest line: `size checksum path`.
    static func manifestLine(directory: String, relative: String) throws -> String {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + relative)) } catch {
            throw SwiftnetError.file(path: directory + "/" + relative, message: "cannot read: \(error.localizedDescription)")
        }
        return "\(data.count) \(String(fnv1a64(data), radix: 16)) \(relative)"
    }

    static func writeManifest(directory: String) throws {
        let lines = try files(in: directory).map { try manifestLine(directory: directory, relative: $0) }
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: directory + "/" + manifestName)
    }

    /// Nil when `directory` holds a complete demo dataset, else what is wrong with it.
    static func verify(directory: String) -> String? {
        guard let text = try? String(contentsOfFile: directory + "/" + manifestName, encoding: .utf8) else { return "no manifest" }
        let expected = text.split(separator: "\n").map(String.init)
        let present = files(in: directory)
        guard expected.count == present.count else { return "\(present.count) files, the manifest lists \(expected.count)" }
        for (line, relative) in zip(expected, present) {
            guard let actual = try? manifestLine(directory: directory, relative: relative), actual == line else {
                return "\(relative) differs from the manifest"
            }
        }
        // The lists hold absolute paths: a dataset moved or copied from elsewhere is not used.
        guard let data = try? String(contentsOfFile: directory + "/shapes.data", encoding: .utf8),
              data.contains("train=" + directory + "/train.txt\n") else { return "shapes.data points elsewhere" }
        return nil
    }

    /// FNV-1a, 64 bit: enough to notice a truncated or edited file.
    static func fnv1a64(_ data: Data) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        data.withUnsafeBytes { raw in
            for byte in raw.bindMemory(to: UInt8.self) {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        return hash
    }

    /// Creates `path` (and its parents) with the folder itself readable by its owner only.
    static func ensurePrivateDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw SwiftnetError.file(path: path, message: "exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw SwiftnetError.file(path: path, message: "cannot create the cache folder: \(error.localizedDescription)")
        }
    }
}

/// An exclusive `flock` on a file, so that two processes do not generate the same cache folder at once.
struct CacheLock {
    let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SwiftnetError.file(path: path, message: "cannot open the cache lock: \(String(cString: strerror(errno)))")
        }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(descriptor)
                throw SwiftnetError.file(path: path, message: "cannot lock the cache: \(String(cString: strerror(errno)))")
            }
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
