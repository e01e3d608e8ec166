// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Framebuffers as PNG, with libpng. A file of its own so that programs that
 * read app state but draw no pictures need not link libpng.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <zlib.h>

#include "appstate.h"

/* Where the encoder's bytes go: a stream, or a buffer that grows. */
struct sink {
	FILE *out;
	unsigned char *buf;
	size_t len, cap;
	int err;		/* -errno of a failed write */
	bool fast;		/* see appstate_png_encode_fast() */
	char *why;
	size_t why_len;
};

static void sink_error(png_structp png, png_const_charp msg)
{
	struct sink *s = png_get_error_ptr(png);

	if (!s->err) {
		s->err = -EIO;
		snprintf(s->why, s->why_len, "cannot encode the PNG: %s", msg);
	}
	png_longjmp(png, 1);
}

/* Warnings (of which a writer with valid input has none) change nothing. */
static void sink_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void sink_write(png_structp png, png_bytep data, size_t len)
{
	struct sink *s = png_get_io_ptr(png);

	if (s->out) {
		if (fwrite(data, 1, len, s->out) != len) {
			s->err = -(errno ?: EIO);
			snprintf(s->why, s->why_len, "cannot write the PNG: %s", strerror(-s->err));
			png_error(png, "write failed");
		}
		return;
	}
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		unsigned char *buf;

		while (cap < s->len + len)
			cap *= 2;
		buf = realloc(s->buf, cap);
		if (!buf) {
			s->err = -ENOMEM;
			snprintf(s->why, s->why_len, "out of memory for a PNG of %zu bytes", cap);
			png_error(png, "out of memory");
		}
		s->buf = buf;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
}

static void sink_flush(png_structp png)
{
	struct sink *s = png_get_io_ptr(png);

	if (s->out && fflush(s->out)) {
		s->err = -errno;
		snprintf(s->why, s->why_len, "cannot write the PNG: %s", strerror(errno));
		png_error(png, "flush failed");
	}
}

/* Everything that may end in png_error(), away from the setjmp. */
static void write_image(png_structp png, png_infop info, const __u32 *pixels,
			unsigned int width, unsigned int height, enum appstate_png_format fmt,
			unsigned char *row)
{
	unsigned int channels = fmt == APPSTATE_PNG_RGBA ? 4 : 3;

	struct sink *s = png_get_error_ptr(png);

	png_set_write_fn(png, s, sink_write, sink_flush);
	if (s->fast) {
		/* One filter for every row, not libpng's trial of all five per
		 * row, and runs: canvases are mostly flat areas. */
		png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
		png_set_compression_level(png, Z_BEST_SPEED);
		png_set_compression_strategy(png, Z_RLE);
	}
	png_set_IHDR(png, info, width, height, 8,
		     fmt == APPSTATE_PNG_RGBA ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (unsigned int y = 0; y < height; y++) {
		const __u32 *line = pixels + (size_t)y * width;

		for (unsigned int x = 0; x < width; x++) {
			unsigned char *p = row + (size_t)x * channels;

			p[0] = (unsigned char)(line[x] >> 16);
			p[1] = (unsigned char)(line[x] >> 8);
			p[2] = (unsigned char)line[x];
			if (channels == 4)
				p[3] = 0xff;
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_write_flush(png);
}

static int encode(struct sink *s, const __u32 *pixels, unsigned int width, unsigned int height,
		  enum appstate_png_format fmt)
{
	png_structp png;
	png_infop info = NULL;
	unsigned char *row;
	int err;

	if (!width || !height || width > PNG_USER_WIDTH_MAX || height > PNG_USER_HEIGHT_MAX) {
		snprintf(s->why, s->why_len, "cannot encode a PNG of %ux%u pixels", width, height);
		return -EINVAL;
	}
	row = malloc((size_t)width * 4);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, s, sink_error, sink_warning);
	if (png)
		info = png_create_info_struct(png);
	if (!row || !info) {
		snprintf(s->why, s->why_len, "out of memory for the PNG encoder");
		err = -ENOMEM;
		goto out;
	}
	if (setjmp(png_jmpbuf(png))) {
		err = s->err ?: -EIO;
		goto out;
	}
	write_image(png, info, pixels, width, height, fmt, row);
	err = 0;
out:
	png_destroy_write_struct(&png, &info);
	free(row);
	return err;
}

int appstate_png_write(FILE *out, const __u32 *pixels, unsigned int width, unsigned int height,
		       enum appstate_png_format fmt, char *why, size_t why_len)
{
	struct sink s = { .out = out, .why = why, .why_len = why_len };

	return encode(&s, pixels, width, height, fmt);
}

static int encode_mem(const __u32 *pixels, unsigned int width, unsigned int height,
		      enum appstate_png_format fmt, bool fast, void **png, size_t *png_len,
		      char *why, size_t why_len)
{
	struct sink s = { .fast = fast, .why = why, .why_len = why_len };
	int err = encode(&s, pixels, width, height, fmt);

	if (err) {
		free(s.buf);
		return err;
	}
	*png = s.buf;
	*png_len = s.len;
	return 0;
}

int appstate_png_encode(const __u32 *pixels, unsigned int width, unsigned int height,
			enum appstate_png_format fmt, void **png, size_t *png_len, char *why,
			size_t why_len)
{
	return encode_mem(pixels, width, height, fmt, false, png, png_len, why, why_len);
}

int appstate_png_encode_fast(const __u32 *pixels, unsigned int width, unsigned int height,
			     enum appstate_png_format fmt, void **png, size_t *png_len, char *why,
			     size_t why_len)
{
	return encode_mem(pixels, width, height, fmt, true, png, png_len, why, why_len);
}
