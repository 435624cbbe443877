// Process-level allocator settings for long-running services.
#include "sn_kernels.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int sn_bound_allocator(int arenas, int mmap_threshold) {
#if defined(__GLIBC__)
    // glibc makes up to 8 arenas per core and raises the mmap threshold after each large free; with many threads
    // passing multi-megabyte image buffers around, resident memory then creeps up with fragmentation. A fixed
    // threshold returns large buffers to the system on free, and few arenas keep the rest compact.
    int ok = mallopt(M_ARENA_MAX, arenas);
    ok &= mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    return ok;
#else
    (void)arenas; (void)mmap_threshold;
    return 0;
#endif
}
