// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Story files of trace apps (userspace/lib/story.c), and every slot of a
 * story that loaded, as thingsd fills the data plane's map from them. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "story.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct things_cfg_story s;
	char msg[256];
	int fd, line;

	memset(&s, 0, sizeof(s));
	fd = fuzz_file(data, size, s.file);
	if (fd < 0)
		return 0;
	snprintf(s.path, sizeof(s.path), "%s", s.file);
	if (!things_story_load(&s, &line, msg, sizeof(msg))) {
		unsigned int n = things_story_slots(&s);

		for (unsigned int i = 0; i < n; i++)
			if (!things_story_slot_line(&s, i))
				__builtin_trap();
		things_story_free(&s);
	}
	close(fd);
	return 0;
}
