// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Any PNG, through libpng's own transformations, as 8-bit RGBA. */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "things-ping.h"

/* A canvas coordinate is 16 bits: no wider image can fit anywhere. */
#define MAX_SIDE 65536U

/* What must outlive a longjmp out of libpng: kept in memory that libpng
 * and read_pixels write through a pointer, not in registers. */
struct png_read {
	char error[128];
	png_bytep *rows;
};

static void on_error(png_structp png, png_const_charp msg)
{
	struct png_read *r = png_get_error_ptr(png);

	snprintf(r->error, sizeof(r->error), "%s", msg);
	png_longjmp(png, 1);
}

/* Warnings are about ancillary chunks (a bad gamma, a long text): the
 * pixels are still good, and nothing else of the file is used. */
static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void normalise(png_structp png, png_infop info)
{
	int type = png_get_color_type(png, info);

	/* palette and grey below 8 bits to 8, tRNS to an alpha channel */
	png_set_expand(png);
	png_set_strip_16(png);
	if (!(type & PNG_COLOR_MASK_COLOR))
		png_set_gray_to_rgb(png);
	if (!(type & PNG_COLOR_MASK_ALPHA) && !png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
}

/* Everything libpng may longjmp out of; img->pixels and r->rows are freed
 * by the caller either way. Returns 0 or an exit status after saying why. */
static int read_pixels(png_structp png, png_infop info, const char *name,
		       struct rgba_image *img, struct png_read *r)
{
	uint32_t w, h;

	png_read_info(png, info);
	w = png_get_image_width(png, info);
	h = png_get_image_height(png, info);
	if (w > MAX_SIDE || h > MAX_SIDE)
		return usage_error("'%s' is %ux%u: canvas coordinates are 16-bit, so no side can pass %u",
				   name, w, h, MAX_SIDE);
	normalise(png, info);
	if (png_get_rowbytes(png, info) != (size_t)w * 4)
		return fail("'%s': libpng did not give 8-bit RGBA (%zu bytes a row for %u pixels)",
			    name, png_get_rowbytes(png, info), w);
	img->pixels = malloc((size_t)w * h * 4);
	r->rows = malloc(h * sizeof(*r->rows));
	if (!img->pixels || !r->rows)
		return fail("'%s': out of memory for %ux%u pixels", name, w, h);
	for (uint32_t y = 0; y < h; y++)
		r->rows[y] = img->pixels + (size_t)y * w * 4;
	png_read_image(png, r->rows);
	png_read_end(png, NULL);
	img->width = w;
	img->height = h;
	return 0;
}

int png_load_rgba(const char *path, struct rgba_image *img)
{
	struct png_read r = { "", NULL };
	png_structp png = NULL;
	png_infop info = NULL;
	unsigned char sig[8];
	char q[QUOTE_MAX], m[QUOTE_MAX * 2];
	volatile int ret;
	size_t got;
	FILE *f;

	memset(img, 0, sizeof(*img));
	quote(path, q, sizeof(q));
	f = fopen(path, "rb");
	if (!f)
		return fail("cannot open '%s': %s", q, strerror(errno));
	got = fread(sig, 1, sizeof(sig), f);
	if (ferror(f)) {
		ret = fail("cannot read '%s': %s", q, strerror(errno));
		goto out;
	}
	if (got < sizeof(sig) || png_sig_cmp(sig, 0, sizeof(sig))) {
		ret = usage_error("'%s' is not a PNG file", q);
		goto out;
	}
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
	info = png ? png_create_info_struct(png) : NULL;
	if (!info) {
		ret = fail("'%s': libpng could not start (out of memory)", q);
		goto out;
	}
	if (setjmp(png_jmpbuf(png))) {
		/* a short file is an I/O problem only if the stream says so */
		if (ferror(f))
			ret = fail("cannot read '%s': %s", q, strerror(errno));
		else if (feof(f))
			ret = usage_error("'%s' is a broken PNG: the file ends too soon", q);
		else
			ret = usage_error("'%s' is a broken PNG: %s", q,
					  quote(r.error, m, sizeof(m)));
		goto out;
	}
	png_init_io(png, f);
	png_set_sig_bytes(png, sizeof(sig));
	ret = read_pixels(png, info, q, img, &r);
out:
	if (ret)
		rgba_image_free(img);
	free(r.rows);
	png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
	fclose(f);
	return ret;
}

void rgba_image_free(struct rgba_image *img)
{
	free(img->pixels);
	memset(img, 0, sizeof(*img));
}
