import COpenBLAS

/// Matrix multiplication behind one interface (OpenBLAS `cblas_sgemm`, row-major).
public enum Gemm {
    /// Sets OpenBLAS's thread count.

    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Threads OpenBLAS uses outside `withSingleThread`.
    nonisolated(unsafe) static var configuredThreads = Int(openblas_get_num_threads())

    /// Configures OpenBLAS's threads (the count it uses for large, untiled products).
    public static func configure(threads n: Int) {
        configuredThreads = max(1, n)
        openblas_set_num_threads(Int32(configuredThreads))
    }

    /// Runs `body` with OpenBLAS single-threaded, for callers that parallelise over tiles themselves.
    public static func withSingleThread(_ body: () -> Void) {
        if configuredThreads > 1 { openblas_set_num_threads(1) }
        body()
        if configuredThreads > 1 { openblas_set_num_threads(Int32(configuredThreads)) }
    }

    /// `C[M×N] = alpha · op(A) · op(B) + beta · C`, row-major, leading dimensions as in BLAS.
    @inline(__always)
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
