import COpenBLAS
import SwiftnetCore
import XCTest

/// The BLAS kernel choice: a pure function of the CPU's features, the kernel OpenBLAS picked and the user's
/// `OPENBLAS_CORETYPE`.
final class BLASKernelTests: XCTestCase {
    let xeon = CPUFeatures(vendor: "GenuineIntel", family: 6, model: 207, avx: true, avx2: true, fma: true, avx512: true)
    let zen4 = CPUFeatures(vendor: "AuthenticAMD", family: 25, model: 17, avx: true, avx2: true, fma: true, avx512: true)
    let zen2 = CPUFeatures(vendor: "AuthenticAMD", family: 23, model: 49, avx: true, avx2: true, fma: true, avx512: false)
    let sandy = CPUFeatures(vendor: "GenuineIntel", family: 6, model: 42, avx: true, avx2: false, fma: false, avx512: false)
    let old = CPUFeatures(vendor: "GenuineIntel", family: 6, model: 23, avx: false, avx2: false, fma: false, avx512: false)

    func testChoiceTable() {
        let cases: [(CPUFeatures, String, String?, String?, String)] = [
            (xeon, "Prescott", nil, "SkylakeX", "the Debian 0.3.21 misdetection this fixes"),
            (xeon, "Core2", nil, "SkylakeX", "another generic fallback"),
            (xeon, "Nehalem", nil, "SkylakeX", "SSE4 kernels on an AVX-512 CPU"),
            (xeon, "Haswell", nil, "SkylakeX", "AVX2 kernels on an AVX-512 CPU"),
            (xeon, "SkylakeX", nil, nil, "already the widest"),
            (zen4, "Cooperlake", nil, nil, "AVX-512 kernels already (what 0.3.21 picks on Zen 4)"),
            (zen2, "Zen", nil, nil, "AVX2 kernels on an AVX2 CPU"),
            (zen2, "Prescott", nil, "Haswell", "AVX2 CPU misdetected"),
            (sandy, "Prescott", nil, "SandyBridge", "AVX only"),
            (sandy, "Sandybridge", nil, nil, "OpenBLAS spells it Sandybridge"),
            (old, "Prescott", nil, nil, "no AVX: nothing wider to pick"),
            (xeon, "Prescott", "Prescott", nil, "the user's OPENBLAS_CORETYPE is respected"),
            (xeon, "Prescott", "", "SkylakeX", "an empty variable counts as unset"),
        ]
        for (cpu, reported, user, expected, why) in cases {
            XCTAssertEqual(BLASKernel.choose(cpu: cpu, reportedCore: reported, userCoreType: user), expected, why)
        }
    }

    func testTheProcessRunsAtLeastAsWideAKernelAsItsCPUAllows() {
        let state = BLASKernel.state
        let cpu = CPUFeatures.current
        XCTAssertFalse(state.core.isEmpty)
        XCTAssertTrue(state.config.contains("OpenBLAS"), state.config)
        // After the choice, asking again wants nothing: the kernel in use is as wide as this CPU's vectors.
        XCTAssertNil(BLASKernel.choose(cpu: cpu, reportedCore: state.core, userCoreType: nil), "\(state) on \(cpu)")
    }

    /// The mechanism itself: a dynamic-arch OpenBLAS re-selects its kernels on request (and back).
    func testSwitchingTheKernelTakesEffect() throws {
        let before = String(cString: openblas_get_corename())
        guard sn_openblas_select_core("Prescott") == 0 else { throw XCTSkip("this OpenBLAS is not built with DYNAMIC_ARCH") }
        XCTAssertEqual(String(cString: openblas_get_corename()), "Prescott")
        XCTAssertEqual(sn_openblas_select_core(before), 0)
        XCTAssertEqual(String(cString: openblas_get_corename()), before)
    }
}
