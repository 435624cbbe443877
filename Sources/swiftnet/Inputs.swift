import Foundation
import SwiftnetFormat

/// Expands image arguments: a `.txt` argument is a list file with one image path per line (blank lines skipped).
func expandImageArguments(_ arguments: [String]) throws -> [String] {
    var paths: [String] = []
    for argument in arguments {
        if argument.lowercased().hasSuffix(".txt") {
            let text = try readTextFile(argument)
            for line in textLines(text) {
                let path = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if !path.isEmpty { paths.append(path) }
            }
        } else {
            paths.append(argument)
        }
    }
    return paths
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

