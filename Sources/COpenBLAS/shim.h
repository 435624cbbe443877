#include <cblas.h>
#include <dlfcn.h>
#include <stdlib.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/// CPUID `leaf`/`subleaf` into regs (eax, ebx, ecx, edx); returns 0 where CPUID does not exist or the leaf is
/// beyond the highest one.
static inline int sn_cpuid(unsigned int leaf, unsigned int subleaf, unsigned int regs[4]) {
#if defined(__x86_64__) || defined(__i386__)
    return __get_cpuid_count(leaf, subleaf, &regs[0], &regs[1], &regs[2], &regs[3]);
#else
    (void)leaf; (void)subleaf; regs[0] = regs[1] = regs[2] = regs[3] = 0;
    return 0;
#endif
}

/// XCR0: which register states the operating system saves (bits 1–2: SSE/AVX, 5–7: AVX-512). Call only when
/// CPUID reports OSXSAVE.
static inline unsigned long long sn_xgetbv0(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
#else
    return 0;
#endif
}

/// Makes a dynamic-arch OpenBLAS re-select its kernels as if OPENBLAS_CORETYPE=core had been set at start-up.
/// Returns 0 on success, -1 when this OpenBLAS has no dynamic-arch entry points. Call before any BLAS product.
static inline int sn_openblas_select_core(const char *core) {
    void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (!quit || !init) return -1;
    setenv("OPENBLAS_CORETYPE", core, 1);
    quit();
    init();
    unsetenv("OPENBLAS_CORETYPE");
    return 0;
}
