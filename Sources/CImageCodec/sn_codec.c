// Thin glue around libjpeg(-turbo) and libpng: their error paths need setjmp/longjmp,
// which Swift cannot express, so the codec calls live here and report errors as strings.
#include "sn_codec.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int truncated;
} sn_jpeg_error;

static void sn_jpeg_error_exit(j_common_ptr cinfo) {
    sn_jpeg_error *err = (sn_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

static void sn_jpeg_silent(j_common_ptr cinfo) { (void)cinfo; }

/* libjpeg only warns about a file that ends early and fills the rest with grey; swiftnet treats it as corrupt. */
static void sn_jpeg_emit(j_common_ptr cinfo, int level) {
    sn_jpeg_error *err = (sn_jpeg_error *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = 1;
}

/* Errors jump back to the caller's setjmp; warnings are silent but for a truncated file. */
static struct jpeg_error_mgr *sn_jpeg_error_manager(sn_jpeg_error *jerr) {
    struct jpeg_error_mgr *manager = jpeg_std_error(&jerr->base);
    jerr->base.error_exit = sn_jpeg_error_exit;
    jerr->base.output_message = sn_jpeg_silent;
    jerr->base.emit_message = sn_jpeg_emit;
    jerr->truncated = 0;
    return manager;
}

static void sn_copy_error(char *dst, size_t size, const char *src) {
    if (size == 0) return;
    strncpy(dst, src, size - 1);
    dst[size - 1] = 0;
}

int sn_decode_jpeg(const unsigned char *data, size_t size, sn_decoded_image *out) {
    struct jpeg_decompress_struct cinfo;
    sn_jpeg_error jerr;
    unsigned char *volatile pixels = NULL;
    memset(out, 0, sizeof(*out));
    cinfo.err = sn_jpeg_error_manager(&jerr);
    if (setjmp(jerr.jump)) {
        sn_copy_error(out->error, sizeof(out->error), jerr.message);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        sn_copy_error(out->error, sizeof(out->error), "CMYK JPEG images are not supported");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != 3) {
        sn_copy_error(out->error, sizeof(out->error), "unexpected JPEG component count");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    size_t stride = (size_t)cinfo.output_width * 3;
    pixels = (unsigned char *)malloc(stride * cinfo.output_height);
    if (!pixels) {
        sn_copy_error(out->error, sizeof(out->error), "out of memory");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *row = pixels + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    if (jerr.truncated) {
        sn_copy_error(out->error, sizeof(out->error), "the file ends before the image data does (truncated)");
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return 1;
    }
    out->width = (int)cinfo.output_width;
    out->height = (int)cinfo.output_height;
    out->pixels = pixels;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

void sn_free_jpeg_coefficients(sn_jpeg_coefficients *c) {
    for (int k = 0; k < 4; ++k) {
        free(c->coefficients[k]);
        c->coefficients[k] = NULL;
    }
}

int sn_read_jpeg_coefficients(const unsigned char *data, size_t size, sn_jpeg_coefficients *out) {
    struct jpeg_decompress_struct cinfo;
    sn_jpeg_error jerr;
    memset(out, 0, sizeof(*out));
    cinfo.err = sn_jpeg_error_manager(&jerr);
    if (setjmp(jerr.jump)) {
        sn_copy_error(out->error, sizeof(out->error), jerr.message);
        jpeg_destroy_decompress(&cinfo);
        sn_free_jpeg_coefficients(out);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    out->width = (int)cinfo.image_width;
    out->height = (int)cinfo.image_height;
    out->components = cinfo.num_components;
    out->saw_jfif = cinfo.saw_JFIF_marker;
    out->saw_adobe = cinfo.saw_Adobe_marker;
    out->adobe_transform = cinfo.Adobe_transform;
    out->arithmetic = cinfo.arith_code;
    out->precision = cinfo.data_precision;
    if (cinfo.num_components < 1 || cinfo.num_components > 4) {
        sn_copy_error(out->error, sizeof(out->error), "unsupported number of colour components");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jvirt_barray_ptr *arrays = jpeg_read_coefficients(&cinfo);
    for (int k = 0; k < cinfo.num_components; ++k) {
        jpeg_component_info *comp = cinfo.comp_info + k;
        int bw = (int)((comp->width_in_blocks + comp->h_samp_factor - 1) / comp->h_samp_factor * comp->h_samp_factor);
        int bh = (int)((comp->height_in_blocks + comp->v_samp_factor - 1) / comp->v_samp_factor * comp->v_samp_factor);
        out->h[k] = comp->h_samp_factor;
        out->v[k] = comp->v_samp_factor;
        out->id[k] = comp->component_id;
        out->blocks_w[k] = bw;
        out->blocks_h[k] = bh;
        JQUANT_TBL *table = comp->quant_table;
        if (!table) {
            sn_copy_error(out->error, sizeof(out->error), "a component has no quantisation table");
            jpeg_destroy_decompress(&cinfo);
            sn_free_jpeg_coefficients(out);
            return 1;
        }
        short *plane = (short *)malloc((size_t)bw * (size_t)bh * 64 * sizeof(short));
        if (!plane) {
            sn_copy_error(out->error, sizeof(out->error), "out of memory");
            jpeg_destroy_decompress(&cinfo);
            sn_free_jpeg_coefficients(out);
            return 1;
        }
        out->coefficients[k] = plane;
        for (int row = 0; row < bh; ++row) {
            JBLOCKARRAY blocks = (*cinfo.mem->access_virt_barray)((j_common_ptr)&cinfo, arrays[k], (JDIMENSION)row, 1, FALSE);
            for (int col = 0; col < bw; ++col) {
                short *dst = plane + ((size_t)row * (size_t)bw + (size_t)col) * 64;
                for (int i = 0; i < 64; ++i) dst[i] = (short)((int)blocks[0][col][i] * (int)table->quantval[i]);
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    if (jerr.truncated) {
        sn_copy_error(out->error, sizeof(out->error), "the file ends before the image data does (truncated)");
        jpeg_destroy_decompress(&cinfo);
        sn_free_jpeg_coefficients(out);
        return 1;
    }
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
} sn_png_source;

typedef struct {
    jmp_buf jump;
    char message[256];
} sn_png_error;

static void sn_png_read(png_structp png, png_bytep out, png_size_t count) {
    sn_png_source *src = (sn_png_source *)png_get_io_ptr(png);
    if (count > src->size - src->offset) png_error(png, "the file ends before the image data does (truncated)");
    memcpy(out, src->data + src->offset, count);
    src->offset += count;
}

static void sn_png_error_exit(png_structp png, png_const_charp message) {
    sn_png_error *err = (sn_png_error *)png_get_error_ptr(png);
    sn_copy_error(err->message, sizeof(err->message), message);
    longjmp(err->jump, 1);
}

static void sn_png_warning(png_structp png, png_const_charp message) { (void)png; (void)message; }

/* The low-level API, as stb_image reads PNGs for darknet: no gamma or colour-space conversion (the simplified API
   treats 16-bit data as linear and converts it), 16-bit samples keep their high byte, alpha and tRNS are dropped. */
int sn_decode_png(const unsigned char *data, size_t size, sn_decoded_image *out) {
    sn_png_source source = { data, size, 0 };
    sn_png_error err;
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    png_structp png;
    png_infop info;
    memset(out, 0, sizeof(*out));
    err.message[0] = 0;
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, sn_png_error_exit, sn_png_warning);
    if (!png) {
        sn_copy_error(out->error, sizeof(out->error), "out of memory");
        return 1;
    }
    info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        sn_copy_error(out->error, sizeof(out->error), "out of memory");
        return 1;
    }
    if (setjmp(err.jump)) {
        sn_copy_error(out->error, sizeof(out->error), err.message[0] ? err.message : "corrupt PNG");
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        return 1;
    }
    png_set_read_fn(png, &source, sn_png_read);
    png_read_info(png, info);
    int depth = png_get_bit_depth(png, info);
    int color = png_get_color_type(png, info);
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (color & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 3) png_error(png, "unsupported PNG layout");
    size_t stride = (size_t)width * 3;
    if (height != 0 && stride > ((size_t)-1) / height) png_error(png, "image too large");
    pixels = (unsigned char *)malloc(stride * height);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < height; ++y) rows[y] = pixels + stride * y;
    png_read_image(png, rows);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    out->pixels = pixels;
    out->width = (int)width;
    out->height = (int)height;
    return 0;
}

int sn_encode_jpeg(const unsigned char *rgb, int width, int height, int quality,
                   unsigned char **out_data, size_t *out_size, char *error, size_t error_size) {
    struct jpeg_compress_struct cinfo;
    sn_jpeg_error jerr;
    unsigned char *buffer = NULL;
    unsigned long length = 0;
    *out_data = NULL;
    *out_size = 0;
    cinfo.err = jpeg_std_error(&jerr.base);
    jerr.base.error_exit = sn_jpeg_error_exit;
    jerr.base.output_message = sn_jpeg_silent;
    if (setjmp(jerr.jump)) {
        sn_copy_error(error, error_size, jerr.message);
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return 1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &length);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * (size_t)width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out_data = buffer;
    *out_size = (size_t)length;
    return 0;
}

int sn_encode_png(const unsigned char *rgb, int width, int height,
                  unsigned char **out_data, size_t *out_size, char *error, size_t error_size) {
    png_image image;
    png_alloc_size_t length = 0;
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)width;
    image.height = (png_uint_32)height;
    image.format = PNG_FORMAT_RGB;
    *out_data = NULL;
    *out_size = 0;
    if (!png_image_write_get_memory_size(image, length, 0, rgb, 0, NULL)) {
        sn_copy_error(error, error_size, image.message);
        return 1;
    }
    unsigned char *buffer = (unsigned char *)malloc(length);
    if (!buffer) {
        sn_copy_error(error, error_size, "out of memory");
        return 1;
    }
    if (!png_image_write_to_memory(&image, buffer, &length, 0, rgb, 0, NULL)) {
        sn_copy_error(error, error_size, image.message);
        free(buffer);
        return 1;
    }
    *out_data = buffer;
    *out_size = (size_t)length;
    return 0;
}

void sn_free(void *pointer) { free(pointer); }
