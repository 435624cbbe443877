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
