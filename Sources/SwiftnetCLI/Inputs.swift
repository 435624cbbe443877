import Foundation
import SwiftnetFormat
import SwiftnetLayers

/// Expands image arguments: a `.txt` argument is an image list (``ImageList``: one path per line, blank lines
/// skipped, relative paths from the working directory). Every image must exist (a missing one is named with its
/// list file and line), and the result must not be empty.
func expandImageArguments(_ arguments: [String]) throws -> [String] {
    var paths: [String] = []
    for argument in arguments {
        if argument.lowercased().hasSuffix(".txt") {
            let list = try ImageList(contentsOf: argument)
            guard !list.entries.isEmpty else { throw SwiftnetError.data(path: argument, line: nil, message: "the list names no images") }
            if let missing = list.missingImage() { throw missing }
            paths += list.paths
        } else {
            guard FileManager.default.fileExists(atPath: argument) else { throw SwiftnetError.file(path: argument, message: "no such file") }
            paths.append(argument)
        }
    }
    return paths
}

/// Stops before any work when an output would replace one of the command's inputs (an image, the cfg, the weights …).
func refuseOverwritingInputs(_ outputs: [(option: String, path: String)], inputs: [String?]) throws {
    // The same file is the same device and inode, whatever links or spellings lead to it.
    func identity(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return "\(info.st_dev):\(info.st_ino)"
    }
    let owned = Set(inputs.compactMap { $0 }.compactMap(identity))
    for (option, path) in outputs {
        if let id = identity(path), owned.contains(id) {
            throw SwiftnetError.invalid("\(option) \(path) would overwrite an input file; choose another path")
        }
    }
}

/// File stems made unique (`dog`, `dog_2`, …) so that outputs of same-named inputs do not overwrite each other.
func uniqueStems(_ paths: [String]) -> [String] {
    var seen: [String: Int] = [:]
    return paths.map { path in
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let n = (seen[stem] ?? 0) + 1
        seen[stem] = n
        return n == 1 ? stem : "\(stem)_\(n)"
    }
}


/// Loads weights for inference; a partial load (`--partial`) that leaves layers without weights says which.
func loadInferenceWeights(_ network: Network, path: String, partial: Bool) throws {
    let result = try network.loadWeights(path: path, allowPartial: partial)
    if let missing = result.firstMissingLayer {
        printError("warning: \(path) holds weights for \(result.loadedRecords) of \(result.totalRecords) parameterised layers; layers from \(missing) on keep their initial values, so the outputs are not a trained network's")
    }
}
