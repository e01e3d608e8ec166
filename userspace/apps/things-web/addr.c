// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* How to ping an app: a sample address in the layout of its kind. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "web.h"

#define SAMPLE_TEXT "Hi there"

bool sample_address(const struct appstate_app *app, char *addr, size_t addr_len, char *what,
		    size_t what_len)
{
	const struct things_prefix_key *p = &app->app.prefix;
	__u8 a[16];
	unsigned int x, y;

	memcpy(a, p->addr, sizeof(a));
	switch (app->app.kind) {
	case THINGS_KIND_ECHO:
		/* Any address answers; ::1 of it reads as one. */
		if (p->prefixlen < 128)
			a[15] |= 1;
		snprintf(what, what_len, "answers");
		break;
	case THINGS_KIND_BOARD:
		/* The interface ID is the text. */
		memcpy(a + 8, SAMPLE_TEXT, 8);
		snprintf(what, what_len, "posts \u201c%s\u201d", SAMPLE_TEXT);
		break;
	case THINGS_KIND_TREE:
		/* ::RR:GG:BB, one byte a group: red. */
		memset(a + 10, 0, 6);
		a[11] = 0xff;
		snprintf(what, what_len, "lights the next light red");
		break;
	case THINGS_KIND_CANVAS:
		/* XXXX:YYYY:RRGG:BBAA: the middle pixel, opaque red. */
		x = app->cfg.width / 2;
		y = app->cfg.height / 2;
		a[8] = (__u8)(x >> 8);
		a[9] = (__u8)x;
		a[10] = (__u8)(y >> 8);
		a[11] = (__u8)y;
		a[12] = 0xff;
		a[13] = 0;
		a[14] = 0;
		a[15] = 0xff;
		snprintf(what, what_len, "paints pixel (%u, %u) red", x, y);
		break;
	default:
		return false;
	}
	return inet_ntop(AF_INET6, a, addr, (socklen_t)addr_len) != NULL;
}

void address_head(const struct appstate_app *app, char *buf, size_t len)
{
	const __u8 *a = app->app.prefix.addr;
	/* A tree's colour is the last three groups; the others' input the
	 * last four. */
	int groups = app->app.kind == THINGS_KIND_TREE ? 5 : 4;
	size_t o = 0;

	buf[0] = '\0';
	for (int g = 0; g < groups && o < len; g++)
		o += (size_t)snprintf(buf + o, len - o, "%s%x", g ? ":" : "",
				      (unsigned int)(a[2 * g] << 8 | a[2 * g + 1]));
}
