/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What loadgen's commands in files of their own share with loadgen.c.
 */
#ifndef THINGS_BENCH_LOADGEN_CMD_H
#define THINGS_BENCH_LOADGEN_CMD_H

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

/* The commands: exit status 0 or 1. */
int loadgen_follow(const struct loadgen_follow_opts *o);

#endif /* THINGS_BENCH_LOADGEN_CMD_H */
