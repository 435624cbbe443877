import COpenBLAS

/// Matrix multiplication behind one interface (OpenBLAS `cblas_sgemm`, row-major).
///
/// OpenBLAS runs single-threaded: the kernels split work across cores themselves (by output tiles, filter rows or
/// images), so that no second thread pool spins against `Parallel`'s workers on a 2-core machine.
public enum Gemm {
    /// Selects the BLAS kernel (``BLASKernel``) and pins OpenBLAS to one thread; done automatically before the first
    /// product.
    public static func configure() {
        _ = singleThreaded
        configured = true
    }

    /// Set once ``configure()`` has run: the products check this flag instead of the lazy global's once-guard.
    nonisolated(unsafe) private static var configured = false

    private static let singleThreaded: Void = {
        _ = BLASKernel.state
        openblas_set_num_threads(1)
    }()

    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// `C[M×N] = alpha · op(A) · op(B) + beta · C`, row-major, leading dimensions as in BLAS.
    @inline(__always)
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if !configured { configure() }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The same product with the rows of C (and A) split across the worker threads.
    public static func sgemmParallelRows(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                         ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = Parallel.threads) {
        Parallel.chunks(m, grain: max(1, (1 << 17) / max(1, n * k)), threads: threads) { rows in
            sgemm(transA: false, transB: false, m: rows.count, n: n, k: k, alpha: 1, a: a + rows.lowerBound * lda, lda: lda,
                  b: b, ldb: ldb, beta: beta, c: c + rows.lowerBound * ldc, ldc: ldc)
        }
    }
}
