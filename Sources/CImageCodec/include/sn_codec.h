#ifndef SN_CODEC_H
#define SN_CODEC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result of a decode: 8-bit interleaved RGB pixels (malloc'ed; free with sn_free) or an error message.
typedef struct {
    unsigned char *pixels;
    int width;
    int height;
    char error[256];
} sn_decoded_image;

/// Decodes a JPEG held in memory to 8-bit RGB. Returns 0 on success; otherwise fills `out->error`.
int sn_decode_jpeg(const unsigned char *data, size_t size, sn_decoded_image *out);

/// A JPEG's quantised DCT coefficients as libjpeg's entropy decoder leaves them, already multiplied by their
/// quantisation table and wrapped to 16 bits (as stb_image stores them), with what is needed to finish the decode.
typedef struct {
    int width;
    int height;
    int components;
    int h[4];
    int v[4];
    int id[4];
    /// Allocated block grid of each component (rounded up to whole MCUs).
    int blocks_w[4];
    int blocks_h[4];
    /// blocks_h × blocks_w × 64 values per component, natural (row-major) order inside each block.
    short *coefficients[4];
    int saw_jfif;
    int saw_adobe;
    int adobe_transform;
    /// Reasons stb_image (darknet's decoder) would not read the file: arithmetic coding, precision other than 8.
    int arithmetic;
    int precision;
    char error[256];
} sn_jpeg_coefficients;

/// Parses and entropy-decodes a JPEG held in memory. Returns 0 on success; otherwise fills `out->error`.
/// Free with sn_free_jpeg_coefficients (also after a failure).
int sn_read_jpeg_coefficients(const unsigned char *data, size_t size, sn_jpeg_coefficients *out);
void sn_free_jpeg_coefficients(sn_jpeg_coefficients *c);

/// Decodes a PNG held in memory to 8-bit RGB (alpha dropped, not composited). Returns 0 on success.
int sn_decode_png(const unsigned char *data, size_t size, sn_decoded_image *out);

/// Encodes 8-bit interleaved RGB as JPEG into a malloc'ed buffer. Returns 0 on success.
int sn_encode_jpeg(const unsigned char *rgb, int width, int height, int quality,
                   unsigned char **out_data, size_t *out_size, char *error, size_t error_size);

/// Encodes 8-bit interleaved RGB as PNG into a malloc'ed buffer. Returns 0 on success.
int sn_encode_png(const unsigned char *rgb, int width, int height,
                  unsigned char **out_data, size_t *out_size, char *error, size_t error_size);

void sn_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
