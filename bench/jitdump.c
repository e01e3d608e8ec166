// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The machine code of a loaded program and where each piece of it comes
 * from, for bench/profile.py: perf's cpu-clock samples land on offsets in
 * the JITed image, and this says which source line each offset belongs to.
 * (bpftool can say the same only when it is built with libbfd.)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "jitdump.h"
#include "log.h"

struct jit_info {
	struct bpf_prog_info info;
	unsigned char *image;
	__u64 *jited_lines;
	struct bpf_line_info *lines;
};

static void jit_info_free(struct jit_info *j)
{
	free(j->image);
	free(j->jited_lines);
	free(j->lines);
}

/* Two calls: the first says how much there is, the second fills it in. */
static int jit_info_read(int prog_fd, struct jit_info *j)
{
	struct bpf_prog_info *info = &j->info;
	__u32 len = sizeof(*info), image_len, nr_jited, nr_lines;
	int err;

	memset(j, 0, sizeof(*j));
	if ((err = bpf_obj_get_info_by_fd(prog_fd, info, &len)))
		return err;
	image_len = info->jited_prog_len;
	nr_jited = info->nr_jited_line_info;
	nr_lines = info->nr_line_info;
	if (!image_len || !nr_lines || nr_jited != nr_lines)
		return -ENODATA;	/* not JITed, or no BTF line info */
	j->image = malloc(image_len);
	j->jited_lines = calloc(nr_jited, sizeof(*j->jited_lines));
	j->lines = calloc(nr_lines, sizeof(*j->lines));
	if (!j->image || !j->jited_lines || !j->lines)
		return -ENOMEM;
	memset(info, 0, sizeof(*info));
	info->jited_prog_len = image_len;
	info->jited_prog_insns = (__u64)(unsigned long)j->image;
	info->nr_jited_line_info = nr_jited;
	info->jited_line_info_rec_size = sizeof(__u64);
	info->jited_line_info = (__u64)(unsigned long)j->jited_lines;
	info->nr_line_info = nr_lines;
	info->line_info_rec_size = sizeof(struct bpf_line_info);
	info->line_info = (__u64)(unsigned long)j->lines;
	len = sizeof(*info);
	if ((err = bpf_obj_get_info_by_fd(prog_fd, info, &len)))
		return err;
	if (info->jited_prog_len != image_len || info->nr_line_info != nr_lines)
		return -EAGAIN;	/* it changed in between: cannot happen to a loaded program */
	return 0;
}

/* The listing: one line per line-info record, in address order:
 * OFFSET<TAB>FILE:LINE<TAB>SOURCE, OFFSET in hex from the image's start. */
static int write_lines(const struct jit_info *j, const struct btf *btf, FILE *out)
{
	__u64 base = j->jited_lines[0];

	for (__u32 i = 0; i < j->info.nr_line_info; i++) {
		const struct bpf_line_info *l = &j->lines[i];
		const char *file = btf__name_by_offset(btf, l->file_name_off);
		const char *src = btf__name_by_offset(btf, l->line_off);

		fprintf(out, "%llx\t%s:%u\t", (unsigned long long)(j->jited_lines[i] - base),
			file ? file : "?", BPF_LINE_INFO_LINE_NUM(l->line_col));
		/* Source text is the compiler's copy of our own files; tabs
		 * and newlines would break the format. */
		for (const char *c = src ? src : ""; *c; c++)
			fputc(*c == '\t' || *c == '\n' ? ' ' : *c, out);
		fputc('\n', out);
	}
	return ferror(out) ? -EIO : 0;
}

int jit_dump(int prog_fd, const char *prefix)
{
	char path[PATH_MAX];
	struct jit_info j;
	struct btf *btf = NULL;
	FILE *out = NULL;
	int err;

	err = jit_info_read(prog_fd, &j);
	if (err) {
		pr_err("reading the JITed program and its line info: %s\n", strerror(-err));
		goto cleanup;
	}
	btf = btf__load_from_kernel_by_id(j.info.btf_id);
	if (!btf) {
		err = -errno;
		pr_err("reading the program's BTF (id %u): %s\n", j.info.btf_id, strerror(-err));
		goto cleanup;
	}
	snprintf(path, sizeof(path), "%s.bin", prefix);
	out = fopen(path, "w");
	if (!out || fwrite(j.image, 1, j.info.jited_prog_len, out) != j.info.jited_prog_len ||
	    fclose(out)) {
		err = -errno;
		pr_err("%s: writing the JITed image: %s\n", path, strerror(-err));
		out = NULL;
		goto cleanup;
	}
	snprintf(path, sizeof(path), "%s.lines", prefix);
	out = fopen(path, "w");
	if (!out) {
		err = -errno;
		pr_err("%s: cannot create: %s\n", path, strerror(-err));
		goto cleanup;
	}
	err = write_lines(&j, btf, out);
	if (fclose(out) && !err)
		err = -errno;
	out = NULL;
	if (err)
		pr_err("%s: writing the line table: %s\n", path, strerror(-err));
cleanup:
	btf__free(btf);
	jit_info_free(&j);
	return err;
}
