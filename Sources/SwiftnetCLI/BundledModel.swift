import Foundation

/// The demo model shipped with the project: `cfg/shapes.cfg`, `data/shapes.weights` (trained by swiftnet on
/// `swiftnet dataset shapes`) and `data/shapes.names`. `detect` uses it when no `--cfg/--weights` are given.
enum BundledModel {
    static let cfg = "cfg/shapes.cfg"
    static let weights = "data/shapes.weights"
    static let names = "data/shapes.names"

    /// The project folder holding the bundled files: the working directory, or the checkout the executable was
    /// built in (`.build/<config>/swiftnet` → three levels up).
    static func root() -> String? {
        var candidates = [FileManager.default.currentDirectoryPath]
        // The executable's real path (found through PATH, a symlink or a relative path alike).
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? Bundle.main.executablePath ?? CommandLine.arguments[0]
        let executable = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.path)
            dir.deleteLastPathComponent()
        }
        return candidates.first { root in
            [cfg, weights, names].allSatisfy { FileManager.default.fileExists(atPath: root + "/" + $0) }
        }
    }
}
