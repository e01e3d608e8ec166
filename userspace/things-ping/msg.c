// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Messages on stderr, and the one way command-line text gets into them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "things-ping.h"

static void vreport(const char *tag, const char *fmt, va_list ap)
{
	fprintf(stderr, "things-ping: %s", tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	return EXIT_FAILURE;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
	fputs("Try 'things-ping --help'.\n", stderr);
	return EXIT_USAGE;
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

const char *quote(const char *s, char *buf, size_t len)
{
	static const char ellipsis[] = "...";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		/* room for the longest escape, the ellipsis and the NUL */
		if (o + 4 + sizeof(ellipsis) > len) {
			snprintf(buf + o, len - o, "%s", ellipsis);
			return buf;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}
