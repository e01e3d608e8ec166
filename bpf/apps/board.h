/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * board: the interface ID's 8 bytes are a message, as on ipv6board
 * (prefix:4177:6573:6f6d:6521 posts "Awesome!").
 */
#ifndef THINGS_BPF_APPS_BOARD_H
#define THINGS_BPF_APPS_BOARD_H

#include "../lib/app.h"
#include "../lib/common.h"
#include "../lib/ipv6.h"
#include "../lib/maps.h"

THINGS_STATIC_ASSERT((THINGS_BOARD_MAX_LINES & (THINGS_BOARD_MAX_LINES - 1)) == 0,
		     "ring_slot() masks with THINGS_BOARD_MAX_LINES - 1");
THINGS_STATIC_ASSERT((THINGS_BOARD_LOG_SLOTS & (THINGS_BOARD_LOG_SLOTS - 1)) == 0,
		     "a mask keeps a log slot in bounds");

/*
 * The text of an interface ID: trailing NULs and spaces go (the stored
 * text is padded with NULs), and what is left must be printable ASCII.
 */
static __always_inline enum things_reason board_text(const __u8 *iid, __u64 *text)
{
	__u8 t[THINGS_BOARD_TEXT];
	int i, len = 0;

#pragma unroll
	for (i = 0; i < THINGS_BOARD_TEXT; i++)
		if (iid[i] != '\0' && iid[i] != ' ')
			len = i + 1;
	if (!len)
		return THINGS_R_BOARD_EMPTY;
#pragma unroll
	for (i = 0; i < THINGS_BOARD_TEXT; i++) {
		t[i] = i < len ? iid[i] : '\0';
		if (i < len && (iid[i] < 0x20 || iid[i] > 0x7e))
			return THINGS_R_BOARD_UNPRINTABLE;
	}
	__builtin_memcpy(text, t, sizeof(t));
	return THINGS_GO_ON;
}

/* Every post of every board also goes to the board_log ring: the log's
 * head, whose seq numbers the events, ... */
static __always_inline struct things_board_event *board_log_head(void)
{
	__u32 key = THINGS_BOARD_LOG_SLOTS;

	return bpf_map_lookup_elem(&board_log, &key);
}

/* ... and the event itself, in the slot of number n. A reader that finds
 * the head past a slot not yet written waits for it. */
static __always_inline void board_log_write(__u64 n, __u32 app_id,
					    const struct things_board_msg *msg)
{
	__u32 key = (__u32)(n - 1) & (THINGS_BOARD_LOG_SLOTS - 1);
	struct things_board_event *ev;

	ev = bpf_map_lookup_elem(&board_log, &key);
	if (!ev)
		return;
	seq_set(&ev->seq, 0);
	ev->app_id = app_id;
	ev->pad = 0;
	ev->msg = *msg;
	seq_set(&ev->seq, n);
}

static __always_inline enum things_reason board_post(const struct app_req *rq,
						     const struct things_app_cfg *cfg)
{
	struct things_board_event *head = board_log_head();
	struct things_board_msg msg, *m;
	struct things_board *bd;
	enum things_reason r;
	__u64 text, n;

	bd = bpf_map_lookup_elem(&boards, &rq->app_id);
	/* The log's head is an element of an array the program has: it is
	 * there. (Checked all the same, but here, so that what follows has
	 * one way through for the verifier rather than two.) */
	if (!cfg->lines || !bd || !head)
		return THINGS_R_APP_NO_STATE;
	r = board_text(rq->iid, &text);
	if (r != THINGS_GO_ON)
		return r;
	if (*(__u64 *)bd->last == text)
		return THINGS_R_BOARD_REPEAT;

	/* Both numbers first, while few stores are pending: a locked
	 * instruction waits for every one. */
	msg.seq = __sync_fetch_and_add(&bd->posts, 1) + 1;
	n = __sync_fetch_and_add(&head->seq, 1) + 1;
	msg.time_ns = bpf_ktime_get_coarse_ns();
	__builtin_memcpy(msg.src, rq->src, sizeof(msg.src));
	__builtin_memcpy(msg.text, &text, sizeof(msg.text));
	m = &bd->msgs[ring_slot(msg.seq, cfg->lines, THINGS_BOARD_MAX_LINES)];
	seq_set(&m->seq, 0);
	m->time_ns = msg.time_ns;
	__builtin_memcpy(m->src, msg.src, sizeof(m->src));
	__builtin_memcpy(m->text, msg.text, sizeof(m->text));
	seq_set(&m->seq, msg.seq);
	*(__u64 *)bd->last = text;
	board_log_write(n, rq->app_id, &msg);
	return THINGS_R_BOARD_POSTED;
}

#endif
