import COpenBLAS
import Foundation

/// What the processor can run, from CPUID (and XGETBV: whether the operating system saves the wide registers).
public struct CPUFeatures: Sendable, Equatable {
    public var vendor: String
    public var family: Int
    public var model: Int
    public var avx: Bool
    public var avx2: Bool
    public var fma: Bool
    /// AVX-512 F, BW, DQ and VL together (what OpenBLAS's SkylakeX kernels use).
    public var avx512: Bool

    public init(vendor: String, family: Int, model: Int, avx: Bool, avx2: Bool, fma: Bool, avx512: Bool) {
        self.vendor = vendor
        self.family = family
        self.model = model
        self.avx = avx
        self.avx2 = avx2
        self.fma = fma
        self.avx512 = avx512
    }

    /// This machine's features.
    public static let current: CPUFeatures = {
        var r: [UInt32] = [0, 0, 0, 0]
        guard sn_cpuid(0, 0, &r) != 0 else { return CPUFeatures(vendor: "unknown", family: 0, model: 0, avx: false, avx2: false, fma: false, avx512: false) }
        let maxLeaf = r[0]
        let vendor = [r[1], r[3], r[2]].flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        _ = sn_cpuid(1, 0, &r)
        let eax = r[0], ecx1 = r[2]
        let baseFamily = Int((eax >> 8) & 0xF), baseModel = Int((eax >> 4) & 0xF)
        let family = baseFamily == 0xF ? baseFamily + Int((eax >> 20) & 0xFF) : baseFamily
        let model = baseFamily == 0x6 || baseFamily == 0xF ? baseModel | Int((eax >> 16) & 0xF) << 4 : baseModel
        let osxsave = ecx1 & (1 << 27) != 0
        let xcr0 = osxsave ? sn_xgetbv0() : 0
        let osAVX = xcr0 & 0x6 == 0x6, osAVX512 = xcr0 & 0xE6 == 0xE6
        var ebx7: UInt32 = 0
        if maxLeaf >= 7 { _ = sn_cpuid(7, 0, &r); ebx7 = r[1] }
        let avx = osAVX && ecx1 & (1 << 28) != 0
        let bits512: UInt32 = (1 << 16) | (1 << 17) | (1 << 30) | (1 << 31)   // F, DQ, BW, VL
        return CPUFeatures(vendor: String(decoding: vendor, as: UTF8.self), family: family, model: model, avx: avx,
                           avx2: avx && ebx7 & (1 << 5) != 0, fma: avx && ecx1 & (1 << 12) != 0,
                           avx512: osAVX512 && ebx7 & bits512 == bits512)
    }()

    /// The widest vector extension, as a word: `AVX-512`, `AVX2`, `AVX` or `SSE`.
    public var simd: String { avx512 ? "AVX-512" : avx2 && fma ? "AVX2" : avx ? "AVX" : "SSE" }
}

/// Which OpenBLAS kernel runs, and the choice that keeps a misdetecting OpenBLAS off its generic kernels.
///
/// Debian 12's OpenBLAS 0.3.21 does not know recent CPUs (an Intel Xeon of family 6 model 207, for example) and
/// falls back to its SSE3 "Prescott" kernels, a quarter of the speed. When the kernel it picked is narrower than
/// the processor's vector units, swiftnet makes it select the widest one the processor runs, before the first
/// product. A user's `OPENBLAS_CORETYPE` is always respected.
public enum BLASKernel {
    /// The vector width a kernel family uses (0 SSE, 1 AVX, 2 AVX2, 3 AVX-512), by OpenBLAS core name.
    static func level(ofCore name: String) -> Int {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return 3
        case "haswell", "zen", "excavator": return 2
        case "sandybridge", "bulldozer", "piledriver", "steamroller": return 1
        default: return 0
        }
    }

    /// The core to select instead of `reportedCore`, or nil to keep it: nil when the user set `OPENBLAS_CORETYPE`,
    /// when the reported kernels are already as wide as the processor's vectors, or when the processor has no AVX.
    public static func choose(cpu: CPUFeatures, reportedCore: String, userCoreType: String?) -> String? {
        if let user = userCoreType, !user.isEmpty { return nil }
        let wanted: (level: Int, core: String)
        if cpu.avx512 { wanted = (3, "SkylakeX") }
        else if cpu.avx2 && cpu.fma { wanted = (2, "Haswell") }
        else if cpu.avx { wanted = (1, "SandyBridge") }
        else { return nil }
        return level(ofCore: reportedCore) < wanted.level ? wanted.core : nil
    }

    /// The outcome of the choice made at start-up.
    public struct State: Sendable {
        /// What OpenBLAS picked by itself.
        public var reportedCore: String
        /// The kernel that runs.
        public var core: String
        /// Whether swiftnet changed it.
        public var switched: Bool
        /// OpenBLAS's build description (version, threading).
        public var config: String
    }

    /// Makes the choice (once, before any product) and returns what runs.
    public static let state: State = {
        let reported = String(cString: openblas_get_corename())
        let config = String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces)
        let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        if let core = choose(cpu: .current, reportedCore: reported, userCoreType: user), sn_openblas_select_core(core) == 0 {
            let now = String(cString: openblas_get_corename())
            return State(reportedCore: reported, core: now, switched: now != reported, config: config)
        }
        return State(reportedCore: reported, core: reported, switched: false, config: config)
    }()

    /// One line for `--version` and benchmarks: library, kernel and why.
    public static var summary: String {
        let s = state
        let cpu = CPUFeatures.current
        let why = s.switched ? " (selected by swiftnet for \(cpu.simd); OpenBLAS picked \(s.reportedCore) for this CPU)" : ""
        return "\(s.config), kernel \(s.core)\(why); CPU \(cpu.vendor) family \(cpu.family) model \(cpu.model), \(cpu.simd)"
    }
}
