/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_BENCH_JITDUMP_H
#define THINGS_BENCH_JITDUMP_H

/* Writes PREFIX.bin, the program's JITed image, and PREFIX.lines, where
 * each part of it comes from (see jitdump.c). Returns 0 or -errno, having
 * said what failed. */
int jit_dump(int prog_fd, const char *prefix);

#endif /* THINGS_BENCH_JITDUMP_H */
