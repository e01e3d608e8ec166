// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

int fuzz_file(const uint8_t *data, size_t size, char *path)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

bool fuzz_names_a_host(const char *text)
{
	for (const char *r = strstr(text, "relay"); r; r = strstr(r + 1, "relay")) {
		const char *h = r + 5;

		h += strspn(h, " \t=:\"");
		/* An address in brackets or a dotted quad is never looked up. */
		if (*h && *h != '[' && strspn(h, "0123456789.") < 4)
			return true;
	}
	return false;
}
