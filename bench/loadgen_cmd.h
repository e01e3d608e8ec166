/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What loadgen's commands in files of their own share with loadgen.c.
 */
#ifndef THINGS_BENCH_LOADGEN_CMD_H
#define THINGS_BENCH_LOADGEN_CMD_H

#include <stddef.h>

#include <bpf/libbpf.h>

#include "loadgen.h"

/* follow: how long the reader sleeps once it has caught up, as
 * `thingsctl board follow` does. */
#define LOADGEN_FOLLOW_POLL_US	100000U

struct loadgen_follow_opts {
	const char *pin_dir, *app;	/* thingsd's pin_dir, a board app */
	unsigned int poll_us;
	int cpu;			/* < 0: any */
};

/* Runs the caller on that CPU only (cpu < 0: anywhere); 0 or -errno. */
int loadgen_pin_cpu(int cpu);

/* The commands: exit status 0 or 1 (2: usage). */
int loadgen_follow(const struct loadgen_follow_opts *o);
int loadgen_pairs(int argc, char **argv);
int loadgen_things(int argc, char **argv);

/*
 * What the commands build from: BPF objects under the build folder (each
 * function returns 0 or -errno, having said what failed), generators and
 * reply counters.
 */
#define LOADGEN_FRAME_MAX 256

struct prog {
	struct bpf_object *obj;
	int fd;
	__u32 attached_to;	/* ifindex, 0 if not attached */
};

extern const char *const loadgen_kind_names[LOADGEN_KINDS];

int loadgen_device(const char *name, __u32 *ifindex, unsigned char mac[6]);
int loadgen_prog_open(struct prog *p, const char *build, const char *file);
int loadgen_prog_set_data(struct prog *p, const char *section, const void *value, size_t size);
int loadgen_prog_set_rodata(struct prog *p, const void *value, size_t size);
int loadgen_prog_read_data(const struct prog *p, const char *section, void *value, size_t size);
int loadgen_prog_load(struct prog *p, const char *prog_name);
/* Native mode, never over another program; prog_close() detaches it. */
int loadgen_prog_attach(struct prog *p, const char *dev, __u32 ifindex);
void loadgen_prog_close(struct prog *p);

/* Sends count frames of the generator, in batches of batch (0: the
 * kernel's); a signal that stops the caller ends it early, without error. */
int loadgen_send_frames(const struct prog *gen, const unsigned char *frame, __u32 len,
			__u32 count, unsigned int batch);
int loadgen_read_replies(const struct prog *counter, __u32 slot, __u64 *packets);

/* A generator: what it sends, from where, to whom. */
struct loadgen_gen_spec {
	enum loadgen_kind kind;
	const char *dev;	/* the client's veth, out of which it sends */
	const char *prefix;
	const char *src;	/* the client's address */
	unsigned char dst_mac[6];	/* all but ns */
	unsigned int canvas_width, canvas_height;
	unsigned long long seed, first_text;
};

struct loadgen_gen {
	struct prog prog;
	struct loadgen_config cfg;
	struct loadgen_state state;
	unsigned char frame[LOADGEN_FRAME_MAX];
	__u32 len, slot;	/* its frames' length; the counter slot of their replies */
	__u32 ifindex;		/* of the spec's dev */
};

/* Loads the generator of a spec and checks what it makes. */
int loadgen_gen_open(struct loadgen_gen *g, const struct loadgen_gen_spec *spec,
		     const char *build);
/* The reply counter for the client's address (replies.bpf.c), loaded. */
int loadgen_counter_open(struct prog *counter, const char *build, const char *src);

#endif /* THINGS_BENCH_LOADGEN_CMD_H */
