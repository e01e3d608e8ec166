// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* App state for people and for JSON: times, board text, messages, lights. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "appstate.h"

#define NSEC 1000000000LL

int appstate_mono_to_realtime(__u64 mono_ns, struct timespec *ts)
{
	struct timespec real, mono;
	long long ns;

	if (clock_gettime(CLOCK_REALTIME, &real) || clock_gettime(CLOCK_MONOTONIC, &mono))
		return -errno;
	/* Signed: a time from before the clock's start is negative. */
	ns = (long long)mono_ns + (real.tv_sec - mono.tv_sec) * NSEC + (real.tv_nsec - mono.tv_nsec);
	ts->tv_sec = (time_t)(ns / NSEC);
	ts->tv_nsec = (long)(ns % NSEC);
	if (ts->tv_nsec < 0) {
		ts->tv_sec--;
		ts->tv_nsec += NSEC;
	}
	return 0;
}

int appstate_format_time(__u64 mono_ns, char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char secs[24];
	int err = appstate_mono_to_realtime(mono_ns, &ts);

	if (err)
		return err;
	if (!gmtime_r(&ts.tv_sec, &tm) || !strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm))
		return -EOVERFLOW;
	if ((size_t)snprintf(buf, len, "%s.%03ldZ", secs, ts.tv_nsec / 1000000) >= len)
		return -ENOSPC;
	return 0;
}

char *appstate_escape_text(const char text[THINGS_BOARD_TEXT], char *buf, size_t len)
{
	size_t end = THINGS_BOARD_TEXT, o = 0;

	while (end && !text[end - 1])
		end--;
	for (size_t i = 0; i < end && o + 5 <= len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	if (len)
		buf[o < len ? o : len - 1] = '\0';
	return buf;
}

json_object *appstate_msg_json(const struct things_board_msg *msg)
{
	char when[APPSTATE_TIME_LEN], src[INET6_ADDRSTRLEN], text[APPSTATE_TEXT_LEN];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "seq", json_object_new_uint64(msg->seq));
	json_object_object_add(o, "time",
			       appstate_format_time(msg->time_ns, when, sizeof(when)) ?
				       NULL : json_object_new_string(when));
	inet_ntop(AF_INET6, msg->src, src, sizeof(src));
	json_object_object_add(o, "source", json_object_new_string(src));
	json_object_object_add(o, "text",
			       json_object_new_string(appstate_escape_text(msg->text, text,
									   sizeof(text))));
	return o;
}

json_object *appstate_tree_json(const struct things_tree *tree, unsigned int lights)
{
	json_object *arr = json_object_new_array();

	for (unsigned int i = 0; i < lights && i < THINGS_TREE_MAX_LIGHTS; i++) {
		json_object *o = json_object_new_object();
		__u32 v = tree->light[i];
		char colour[8];

		snprintf(colour, sizeof(colour), "#%06x", v & 0xffffffU);
		json_object_object_add(o, "index", json_object_new_int((int)i));
		json_object_object_add(o, "colour", v & THINGS_LIGHT_ON ?
							    json_object_new_string(colour) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}
