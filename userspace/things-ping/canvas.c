// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* canvas: the interface ID is XXXX:YYYY:RRGG:BBAA, one address a pixel. */
#include <stdlib.h>
#include <string.h>

#include "things-ping.h"

#define COORDS 65536U

struct canvas {
	struct targets t;
	struct in6_addr base;
	struct rgba_image img;
	uint32_t at_x, at_y;
	size_t pos;		/* next pixel to look at, row-major */
};

static bool canvas_next(struct targets *t, struct in6_addr *dst)
{
	struct canvas *c = (struct canvas *)t;
	size_t n = (size_t)c->img.width * c->img.height;

	/* Alpha 0 leaves a canvas pixel as it is: such a ping is wasted. */
	while (c->pos < n && c->img.pixels[c->pos * 4 + 3] == 0)
		c->pos++;
	if (c->pos >= n)
		return false;

	const uint8_t *px = c->img.pixels + c->pos * 4;
	uint32_t x = c->at_x + (uint32_t)(c->pos % c->img.width);
	uint32_t y = c->at_y + (uint32_t)(c->pos / c->img.width);

	*dst = c->base;
	dst->s6_addr[8] = (uint8_t)(x >> 8);
	dst->s6_addr[9] = (uint8_t)x;
	dst->s6_addr[10] = (uint8_t)(y >> 8);
	dst->s6_addr[11] = (uint8_t)y;
	memcpy(&dst->s6_addr[12], px, 4);	/* RR GG BB AA */
	c->pos++;
	return true;
}

static void canvas_rewind(struct targets *t)
{
	((struct canvas *)t)->pos = 0;
}

static void canvas_destroy(struct targets *t)
{
	struct canvas *c = (struct canvas *)t;

	rgba_image_free(&c->img);
	free(c);
}

/* One axis: does [at, at + len) fit below limit? */
static int check_fit(const char *axis, uint32_t at, uint32_t len, uint32_t limit,
		     const char *what)
{
	if ((uint64_t)at + len <= limit)
		return 0;
	return usage_error("the image does not fit: from %s %u, its %u %s end at %s %llu, but the last %s is %u (%s)",
			   axis, at, len, axis[0] == 'x' ? "columns" : "rows", axis,
			   (unsigned long long)at + len - 1, axis, limit - 1, what);
}

/* Sets the number of addresses: the pixels that are not fully transparent. */
static int check_image(struct canvas *c, const struct canvas_opts *o, const char *name)
{
	int ret;

	ret = check_fit("x", c->at_x, c->img.width, COORDS, "canvas coordinates are 16-bit");
	if (!ret)
		ret = check_fit("y", c->at_y, c->img.height, COORDS, "canvas coordinates are 16-bit");
	if (!ret && o->width)
		ret = check_fit("x", c->at_x, c->img.width, o->width, "the --size given");
	if (!ret && o->height)
		ret = check_fit("y", c->at_y, c->img.height, o->height, "the --size given");
	if (ret)
		return ret;
	for (size_t i = 0; i < (size_t)c->img.width * c->img.height; i++)
		c->t.count += c->img.pixels[i * 4 + 3] != 0;
	if (!c->t.count)
		return usage_error("every pixel of '%s' is fully transparent: nothing to send", name);
	return 0;
}

int canvas_targets(const char *prefix, const char *path, const struct canvas_opts *o,
		   struct targets **out)
{
	struct canvas *c = calloc(1, sizeof(*c));
	char q[QUOTE_MAX];
	int ret;

	if (!c)
		return fail("out of memory");
	c->t = (struct targets){ .next = canvas_next, .rewind = canvas_rewind,
				 .destroy = canvas_destroy };
	c->at_x = o->at_x;
	c->at_y = o->at_y;
	ret = payload_prefix(prefix, 64,
			     "a canvas needs a /64 or shorter: the interface ID is the pixel",
			     &c->base);
	if (!ret)
		ret = png_load_rgba(path, &c->img);
	if (!ret)
		ret = check_image(c, o, quote(path, q, sizeof(q)));
	if (ret) {
		canvas_destroy(&c->t);
		return ret;
	}
	*out = &c->t;
	return 0;
}
