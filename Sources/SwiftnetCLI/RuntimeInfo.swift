import Foundation
import SwiftnetCore

/// What `swiftnet --version` prints: the version and the BLAS library and kernel that run here.
enum RuntimeInfo {
    static let version = "0.10.0"

    static var versionText: String {
        Gemm.configure()
        return "swiftnet \(version)\nBLAS: \(BLASKernel.summary)"
    }
}
