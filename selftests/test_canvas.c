// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * canvas: the interface ID is XXXX:YYYY:RRGG:BBAA. Each valid request
 * paints one pixel of the app's framebuffer, blended by its alpha; the
 * whole framebuffer is read back through mmap() and compared with a model
 * of it the test keeps itself.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "apps.h"
#include "test.h"
#include "world.h"

#define PIXELS (CANVAS_WIDTH * CANVAS_HEIGHT)
/* Two pixels to an 8-byte element: mapped, the pixels are contiguous. */
#define PIXEL_STRIDE 4

/* The framebuffer as a reader without write access sees it: mapped. */
static bool fb_read(const struct test_env *env, int app, __u32 px[PIXELS])
{
	size_t len = (size_t)PIXELS * PIXEL_STRIDE;
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *m;

	len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, env->fb_fd[app], 0);
	if (!ASSERT_TRUE(m != MAP_FAILED, "mmap the framebuffer"))
		return false;
	for (size_t i = 0; i < PIXELS; i++)
		memcpy(&px[i], m + i * PIXEL_STRIDE, sizeof(px[i]));
	munmap(m, len);
	return true;
}

/* What the blend must give, worked out in floating point: the quotient
 * is never within rounding of a whole number it is not, and converting
 * it rounds down. */
static __u32 blend(__u32 new, __u32 old, unsigned int a)
{
	__u32 out = 0;

	for (int shift = 0; shift < 24; shift += 8) {
		double n = (new >> shift) & 0xff, o = (old >> shift) & 0xff;

		out |= (__u32)((n * a + o * (255 - a)) / 255.0) << shift;
	}
	return out;
}

static struct in6_addr pixel_addr(const char *prefix, unsigned int x, unsigned int y,
				  __u32 rgb, unsigned int a)
{
	uint8_t iid[8] = {
		(uint8_t)(x >> 8), (uint8_t)x, (uint8_t)(y >> 8), (uint8_t)y,
		(uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb, (uint8_t)a,
	};

	return app_addr(prefix, iid);
}

/* Sends a request for (x, y) = rgb with alpha a to app, which must judge
 * it as reason; the framebuffer must then be what it was with, for a
 * painted pixel, that pixel blended. */
static void paint(const struct test_env *env, int app, const char *prefix, unsigned int x,
		  unsigned int y, __u32 rgb, unsigned int a, enum things_reason reason)
{
	struct in6_addr dst = pixel_addr(prefix, x, y, rgb, a);
	__u32 before[PIXELS], after[PIXELS];
	enum things_action action = reason == THINGS_R_CANVAS_PAINTED ?
				    THINGS_ACT_APP_UPDATE : THINGS_ACT_APP_IGNORED;
	struct frame in, out;

	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	if (!fb_read(env, app, before) || !check_app(env, &in, &out, reason, app, action) ||
	    !fb_read(env, app, after))
		return;
	if (reason == THINGS_R_CANVAS_PAINTED) {
		size_t i = (size_t)y * CANVAS_WIDTH + x;

		before[i] = blend(rgb, before[i], a);
		test_log("pixel (%u, %u): want %06x", x, y, before[i]);
	}
	ASSERT_MEMEQ(after, sizeof(after), before, sizeof(before), "the framebuffer");
}

static const struct {
	const char *name;
	unsigned int x, y;
	__u32 rgb;
	unsigned int a;
} painted[] = {
	{ "opaque", 3, 5, 0x123456, 0xff },
	{ "alpha-00-leaves-it", 3, 5, 0xffffff, 0x00 },
	{ "alpha-80-blends", 3, 5, 0xfedcba, 0x80 },
	{ "alpha-01-blends", 3, 5, 0xffffff, 0x01 },
	{ "alpha-fe-blends", 3, 5, 0x000000, 0xfe },
	{ "alpha-7f-on-black", 4, 5, 0xff8001, 0x7f },
	{ "origin", 0, 0, 0xabcdef, 0xff },
	{ "last-pixel", CANVAS_WIDTH - 1, CANVAS_HEIGHT - 1, 0x010101, 0xff },
	{ "last-column", CANVAS_WIDTH - 1, 0, 0xff0000, 0xff },
	{ "last-row", 0, CANVAS_HEIGHT - 1, 0x00ff00, 0xff },
	{ "black-opaque", 0, 0, 0x000000, 0xff },
};

static const struct {
	const char *name;
	unsigned int x, y;
} outside[] = {
	{ "x-width", CANVAS_WIDTH, 0 },
	{ "y-height", 0, CANVAS_HEIGHT },
	{ "x-ffff", 0xffff, 1 },
	{ "both-ffff", 0xffff, 0xffff },
	/* y * width + x is inside the framebuffer: still outside the canvas. */
	{ "x-wraps-to-next-row", CANVAS_WIDTH + 1, 0 },
};

/* A paint seen by every way of reading the framebuffer alike. */
static void lookup_agrees(const struct test_env *env)
{
	__u32 mapped[PIXELS];

	paint(env, APP_CANVAS, PREFIX_CANVAS, 7, 2, 0x5a5a5a, 0xff, THINGS_R_CANVAS_PAINTED);
	if (!fb_read(env, APP_CANVAS, mapped))
		return;
	for (__u32 i = 0; i < PIXELS; i++) {
		struct things_canvas_slot s;
		__u32 slot = i / THINGS_CANVAS_SLOT_PIXELS;

		if (!ASSERT_OK(bpf_map_lookup_elem(env->fb_fd[APP_CANVAS], &slot, &s) ? -1 : 0,
			       "look a pixel up") ||
		    !ASSERT_EQ(s.px[i % THINGS_CANVAS_SLOT_PIXELS], mapped[i],
			       "the pixel looked up is the one mapped"))
			return;
	}
	ASSERT_EQ(mapped[2 * CANVAS_WIDTH + 7], 0x5a5a5a, "the pixel painted");
}

static void bad_checksum(const struct test_env *env, int app, const char *prefix)
{
	struct in6_addr dst = pixel_addr(prefix, 1, 1, 0xffffff, 0xff);
	__u32 before[PIXELS], after[PIXELS];
	struct frame in, out;

	app_pair(&in, &out, REMOTE, &dst, APP_DATA_LEN);
	frame_set16(&in, frame_csum_off(&in), (uint16_t)(frame_get16(&in, frame_csum_off(&in)) + 1));
	if (!fb_read(env, app, before) || !check_app_passed(env, &in, THINGS_R_APP_CHECKSUM, app) ||
	    !fb_read(env, app, after))
		return;
	ASSERT_MEMEQ(after, sizeof(after), before, sizeof(before), "the framebuffer");
}

static void size_set(const struct test_env *env, __u16 width, __u16 height)
{
	struct things_app_cfg cfg = world_app_cfg(APP_CANVAS);

	cfg.width = width;
	cfg.height = height;
	ASSERT_OK(app_cfg_set(env, APP_CANVAS, &cfg), "set the canvas size");
}

/* thingsd has not put the framebuffer in yet, or took it out. */
static void no_framebuffer(const struct test_env *env)
{
	__u32 key = APP_CANVAS;
	int fd = env->fb_fd[APP_CANVAS];

	if (!ASSERT_OK(bpf_map_delete_elem(env->canvases_fd, &key) ? -1 : 0,
		       "take the framebuffer out"))
		return;
	paint(env, APP_CANVAS, PREFIX_CANVAS, 1, 1, 0xffffff, 0xff, THINGS_R_APP_NO_STATE);
	ASSERT_OK(bpf_map_update_elem(env->canvases_fd, &key, &fd, BPF_ANY) ? -1 : 0,
		  "put the framebuffer back");
}

DEFINE_TEST(canvas)
{
	for (size_t i = 0; i < ARRAY_SIZE(painted); i++)
		if (test_start("painted-%s", painted[i].name))
			paint(env, APP_CANVAS, PREFIX_CANVAS, painted[i].x, painted[i].y,
			      painted[i].rgb, painted[i].a, THINGS_R_CANVAS_PAINTED);
	for (size_t i = 0; i < ARRAY_SIZE(outside); i++)
		if (test_start("out-of-range-%s", outside[i].name))
			paint(env, APP_CANVAS, PREFIX_CANVAS, outside[i].x, outside[i].y,
			      0xffffff, 0xff, THINGS_R_CANVAS_OUT_OF_RANGE);
	if (test_start("lookup-agrees-with-mmap"))
		lookup_agrees(env);
	if (test_start("bad-checksum"))
		bad_checksum(env, APP_CANVAS, PREFIX_CANVAS);
	if (test_start("no-framebuffer-no-state"))
		no_framebuffer(env);
	if (test_start("no-size-no-state")) {
		size_set(env, 0, CANVAS_HEIGHT);
		paint(env, APP_CANVAS, PREFIX_CANVAS, 0, 0, 0xffffff, 0xff, THINGS_R_APP_NO_STATE);
		size_set(env, CANVAS_WIDTH, 0);
		paint(env, APP_CANVAS, PREFIX_CANVAS, 0, 0, 0xffffff, 0xff, THINGS_R_APP_NO_STATE);
		size_set(env, CANVAS_WIDTH, CANVAS_HEIGHT);
	}
	if (test_start("framebuffer-smaller-than-size")) {
		size_set(env, CANVAS_WIDTH, 100);
		paint(env, APP_CANVAS, PREFIX_CANVAS, 0, CANVAS_HEIGHT, 0xffffff, 0xff,
		      THINGS_R_APP_NO_STATE);
		paint(env, APP_CANVAS, PREFIX_CANVAS, 2, CANVAS_HEIGHT - 1, 0x0000ff, 0xff,
		      THINGS_R_CANVAS_PAINTED);
		size_set(env, CANVAS_WIDTH, CANVAS_HEIGHT);
	}
	if (test_start("silent-painted"))
		paint(env, APP_CANVAS_SILENT, PREFIX_CANVAS_SILENT, 5, 6, 0x4080c0, 0xff,
		      THINGS_R_CANVAS_PAINTED);
	if (test_start("silent-blended"))
		paint(env, APP_CANVAS_SILENT, PREFIX_CANVAS_SILENT, 5, 6, 0xffffff, 0x40,
		      THINGS_R_CANVAS_PAINTED);
	if (test_start("silent-out-of-range"))
		paint(env, APP_CANVAS_SILENT, PREFIX_CANVAS_SILENT, 5, CANVAS_HEIGHT, 0xffffff,
		      0xff, THINGS_R_CANVAS_OUT_OF_RANGE);
	if (test_start("silent-bad-checksum"))
		bad_checksum(env, APP_CANVAS_SILENT, PREFIX_CANVAS_SILENT);
}
