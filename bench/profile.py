#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Where a micro-benchmark case spends its time inside things_xdp.

    bench/profile.py things_echo_fast          # as root
    bench/profile.py things_ns_fast --rounds 200 --out /tmp/ns

Runs `build/bench/micro --case CASE` pinned to one CPU, records cpu-clock
samples of that CPU with `perf record` (a guest without a PMU has no other
event), and maps the samples that land in things_xdp onto its JITed machine
code and, through the program's BTF line info, onto source lines. Prints
the share of samples per source line and the hottest instructions; OUT.txt
(default build/bench/profile-CASE) gets the whole annotated listing.

cpu-clock samples skid: a sample is charged to an instruction at or a few
after the one that was running, so read the figures per line or per block,
not per instruction. Sampling slows the program down; the shares hold.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("case", help="a case key of bench/micro (its --json \"key\")")
    p.add_argument("--build", default=os.path.join(REPO, "build"))
    p.add_argument("--cpu", type=int, default=(os.cpu_count() or 1) - 1)
    p.add_argument("--rounds", type=int, default=60, help="micro --rounds (default 60)")
    p.add_argument("--seconds", type=float, default=5.0, help="how long perf samples")
    p.add_argument("--frequency", type=int, default=5000, help="samples per second")
    p.add_argument("--top", type=int, default=25, help="lines and instructions shown")
    p.add_argument("--out", help="prefix of the listing (default BUILD/bench/profile-CASE)")
    p.add_argument("--perf-data", help="samples recorded already (say, on the generator's CPU"
                   " during a live run): micro only gives the machine code to map them onto")
    args = p.parse_args()
    args.build = os.path.abspath(args.build)
    args.out = args.out or os.path.join(args.build, "bench", "profile-" + args.case)
    return args


def disassemble(image):
    """{offset: 'bytes  instruction'} of the raw x86-64 image."""
    out = subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", image],
                         capture_output=True, text=True, check=True).stdout
    insns = {}
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\t([0-9a-f ]+)\t(.*)", line)
        if m:
            insns[int(m.group(1), 16)] = m.group(3).strip()
    return insns


def line_table(path):
    """[(offset, 'file:line', source)], by offset."""
    rows = []
    with open(path) as f:
        for line in f:
            off, where, src = line.rstrip("\n").split("\t", 2)
            rows.append((int(off, 16), os.path.relpath(where, REPO) if where.startswith("/")
                         else where, src.strip()))
    return sorted(rows)


def samples(data):
    """Counter of things_xdp offsets, and Counter of every symbol."""
    out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,symoff"],
                         capture_output=True, text=True, check=True).stdout
    offs, syms = collections.Counter(), collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s*[0-9a-f]+\s+(\S+?)\+0x([0-9a-f]+)", line)
        if not m:
            continue
        syms[m.group(1)] += 1
        if m.group(1).endswith("_things_xdp"):
            offs[int(m.group(2), 16)] += 1
    return offs, syms


def main():
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("profile: needs root (perf on a CPU, BPF)")
    for tool in ("perf", "objdump", "taskset"):
        if not shutil.which(tool):
            sys.exit("profile: needs %s" % tool)
    tmp = tempfile.mkdtemp(prefix="things-profile-")
    try:
        prefix, data = os.path.join(tmp, "things_xdp"), os.path.join(tmp, "perf.data")
        if args.perf_data:
            data = args.perf_data
        micro = subprocess.Popen(
            ["taskset", "-c", str(args.cpu), os.path.join(args.build, "bench", "micro"),
             "--build", args.build, "--case", args.case,
             "--rounds", "1" if args.perf_data else str(args.rounds)] +
            (["--repeat", "1"] if args.perf_data else []) +
            ["--prefixes", "100000" if "many" in args.case else "0", "--large", "17",
             "--jited", prefix],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Sampling starts once the programs are loaded and timing has begun.
        deadline = time.time() + 120
        while not os.path.exists(prefix + ".lines") and micro.poll() is None:
            if time.time() > deadline:
                micro.kill()
                sys.exit("profile: micro did not get to timing in 120 s")
            time.sleep(0.1)
        time.sleep(1.0)
        if not args.perf_data:
            subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F",
                            str(args.frequency), "-C", str(args.cpu), "-o", data, "--",
                            "sleep", str(args.seconds)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out, err = micro.communicate()
        if micro.returncode != 0:
            sys.exit("profile: micro failed: %s" % err.strip())
        offs, syms = samples(data)
        insns = disassemble(prefix + ".bin")
        lines = line_table(prefix + ".lines")
    finally:
        shutil.rmtree(tmp)

    total, ours = sum(syms.values()), sum(offs.values())
    if not ours:
        sys.exit("profile: no sample landed in things_xdp")
    print("Samples on CPU %d: %d; in things_xdp: %d (%.1f%%). By symbol:" %
          (args.cpu, total, ours, 100.0 * ours / total))
    for sym, n in syms.most_common(8):
        print("  %5.1f%%  %s" % (100.0 * n / total, sym))

    # Each instruction belongs to the last line-info record at or before it.
    owner, i = {}, 0
    for off in sorted(insns):
        while i + 1 < len(lines) and lines[i + 1][0] <= off:
            i += 1
        owner[off] = lines[i]
    per_line = collections.Counter()
    for off, n in offs.items():
        rec = owner.get(off) or owner[max(o for o in owner if o <= off)]
        per_line[(rec[1], rec[2])] += n
    print("\nthings_xdp by source line (share of its samples):")
    for (where, src), n in per_line.most_common(args.top):
        print("  %5.1f%%  %-28s %s" % (100.0 * n / ours, where, src[:70]))
    print("\nHottest instructions:")
    for off, n in offs.most_common(args.top):
        print("  %5.1f%%  %5x  %-40s %s" % (100.0 * n / ours, off, insns.get(off, "?"),
                                          owner.get(off, (0, "?"))[1]))

    with open(args.out + ".txt", "w") as f:
        last = None
        for off in sorted(insns):
            rec = owner[off]
            if rec is not last:
                f.write("\n        ; %s  %s\n" % (rec[1], rec[2]))
                last = rec
            n = offs.get(off, 0)
            f.write("%6s  %5x:  %s\n" % ("%.1f" % (100.0 * n / ours) if n else "", off,
                                         insns[off]))
    print("\nThe whole listing: %s.txt; micro's table:\n%s" % (args.out, out))


if __name__ == "__main__":
    main()
