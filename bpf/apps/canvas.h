/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * canvas: the interface ID is XXXX:YYYY:RRGG:BBAA, pingxelflut's layout;
 * each valid request paints one pixel of the app's framebuffer.
 */
#ifndef THINGS_BPF_APPS_CANVAS_H
#define THINGS_BPF_APPS_CANVAS_H

#include "../lib/app.h"
#include "../lib/common.h"
#include "../lib/maps.h"

/* c = (new * a + old * (255 - a)) / 255, rounded down, for the channel
 * whose lowest bit is bit `shift` of a pixel. */
static __always_inline __u32 canvas_blend(__u32 new, __u32 old, __u32 a, int shift)
{
	__u32 n = (new >> shift) & 0xff, o = (old >> shift) & 0xff;

	return (n * a + o * (255 - a)) / 255 << shift;
}

static __always_inline enum things_reason canvas_paint(const struct app_req *rq,
						       const struct things_app_cfg *cfg)
{
	const __u8 *iid = rq->iid;
	__u32 x = (__u32)iid[0] << 8 | iid[1], y = (__u32)iid[2] << 8 | iid[3];
	__u32 rgb = (__u32)iid[4] << 16 | (__u32)iid[5] << 8 | iid[6], a = iid[7];
	__u32 w = cfg->width, h = cfg->height, idx, old;
	struct things_canvas_slot *slot;
	__u32 *px;
	void *fb;

	fb = bpf_map_lookup_elem(&canvases, &rq->app_id);
	if (!fb || !w || !h)
		return THINGS_R_APP_NO_STATE;
	if (w > THINGS_CANVAS_MAX_SIDE)
		w = THINGS_CANVAS_MAX_SIDE;
	if (h > THINGS_CANVAS_MAX_SIDE)
		h = THINGS_CANVAS_MAX_SIDE;
	if (x >= w || y >= h)
		return THINGS_R_CANVAS_OUT_OF_RANGE;
	idx = (y * w + x) / THINGS_CANVAS_SLOT_PIXELS;
	slot = bpf_map_lookup_elem(fb, &idx);
	/* A framebuffer smaller than the size configured. */
	if (!slot)
		return THINGS_R_APP_NO_STATE;
	px = &slot->px[(y * w + x) & (THINGS_CANVAS_SLOT_PIXELS - 1)];
	if (a == 0xff) {
		*px = rgb;
	} else if (a) {
		old = *px;
		*px = canvas_blend(rgb, old, a, 16) | canvas_blend(rgb, old, a, 8) |
		      canvas_blend(rgb, old, a, 0);
	}
	return THINGS_R_CANVAS_PAINTED;
}

#endif
