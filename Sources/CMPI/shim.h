// Open MPI (Debian's libopenmpi-dev). MPI_COMM_WORLD and the datatype handles are macros Swift cannot import,
// so the few collectives swiftnet uses are wrapped here.
#include <mpi.h>
#include <stdint.h>

static inline int sn_mpi_initialized(void) { int flag = 0; MPI_Initialized(&flag); return flag; }
static inline int sn_mpi_finalized(void) { int flag = 0; MPI_Finalized(&flag); return flag; }
static inline int sn_mpi_init(void) {
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    // Errors come back as codes (turned into messages that name the rank) instead of aborting inside MPI.
    if (rc == MPI_SUCCESS) MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return rc;
}
static inline int sn_mpi_finalize(void) { return MPI_Finalize(); }
static inline int sn_mpi_rank(void) { int r = 0; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }
static inline int sn_mpi_size(void) { int s = 1; MPI_Comm_size(MPI_COMM_WORLD, &s); return s; }
static inline void sn_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
static inline int sn_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

static inline int sn_mpi_allreduce_sum_float(float *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static inline int sn_mpi_allreduce_sum_double(double *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static inline int sn_mpi_allreduce_max_double(double *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
}

/// Non-blocking sum; `request` is an opaque slot (MPI_Request is a pointer in Open MPI).
static inline int sn_mpi_iallreduce_sum_float(float *buffer, int count, void **request) {
    return MPI_Iallreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, (MPI_Request *)request);
}
static inline int sn_mpi_test(void **request, int *done) {
    return MPI_Test((MPI_Request *)request, done, MPI_STATUS_IGNORE);
}
static inline int sn_mpi_wait(void **request) { return MPI_Wait((MPI_Request *)request, MPI_STATUS_IGNORE); }

/// Every rank's byte count, gathered on every rank.
static inline int sn_mpi_allgather_int64(int64_t value, int64_t *all) {
    return MPI_Allgather(&value, 1, MPI_INT64_T, all, 1, MPI_INT64_T, MPI_COMM_WORLD);
}
static inline int sn_mpi_gatherv_bytes(const void *send, int count, void *receive, const int *counts, const int *offsets, int root) {
    return MPI_Gatherv(send, count, MPI_BYTE, receive, counts, offsets, MPI_BYTE, root, MPI_COMM_WORLD);
}
static inline void sn_mpi_error_string(int code, char *text, int capacity) {
    int length = 0;
    if (capacity < MPI_MAX_ERROR_STRING) { text[0] = 0; return; }
    MPI_Error_string(code, text, &length);
    text[length] = 0;
}
static inline int sn_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
