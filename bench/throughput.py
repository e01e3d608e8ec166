#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""make bench: requests answered per second by IPv6 Things and by its peers
under one load, with the micro-benchmark's ns/packet table; one Markdown
report on stdout and in OUT/throughput.md, the figures in OUT/throughput.json.

    client namespace                          server namespace
    gi0 -- gi1   idle, down: the generator stays attached to gi0
    c0  [replies.bpf.c]  <--------- veth --------->  h0  [responder]
     ^ loadgen.bpf.c, run with BPF_F_TEST_XDP_LIVE_FRAMES, sends out of c0

Responders, one at a time on h0: thingsd (an echo app on the routed /48, an
on-link echo app on the /64), the kernel with AnyIP `local` routes, ndppd
with a static rule for the /64, and the minimal XDP responder.

The generator's test run, the server's NAPI poll (its XDP program, or the
kernel's stack) and the client's NAPI poll (the counter) all run on the
generator's CPU, one batch after another. A rate is therefore the inverse
of the whole path's cost per request, and the generator cannot outrun an
in-kernel responder: it loses nothing at any rate. ndppd reads from a
socket on another CPU, and its socket buffer overflows when a burst comes
faster than it reads.

Everything this makes (namespaces, processes, pins, files in /tmp) is removed
at the end, on a failure and on Ctrl-C or SIGTERM as well.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))
import lab as L  # noqa: E402

KINDS = ("echo", "ns", "te")
KIND_LABELS = {"echo": "echo, random /48 address", "ns": "NS, random /64 target",
               "te": "traceroute probe, random story address"}
# Traceroute probes are loadgen's echo requests to a trace app whose one
# story covers its prefix with a line for every hop limit: each is answered
# with Time Exceeded.
TRACE_PREFIX = "2001:db8:7ace::/48"
PREFIXES = {"echo": str(L.ROUTED), "ns": str(L.ONLINK), "te": TRACE_PREFIX}
LOADGEN_KINDS = {"te": "echo"}
PACED_RATES = (25000, 100000, 1000000, 5000000)
# (request, peer, least IPv6 Things / peer): the targets.
TARGETS = (("echo", "minimal", 0.85), ("echo", "kernel", 10.0),
           ("ns", "minimal", 0.85), ("ns", "ndppd", 80.0))
# Time Exceeded against IPv6 Things' own echo, in the same run.
TRACE_TARGET = 0.7
CLIENT_DEV, SERVER_DEV, IDLE_DEV, IDLE_PEER = "c0", "h0", "gi0", "gi1"
SERVER_ADDR = L.HOST_LAN


def log(text):
    print("bench: %s" % text, file=sys.stderr, flush=True)


def nsenter(ns, *args, **kw):
    """A command in ns's network only: `ip netns exec` would remount /sys
    and hide bpffs, which loadgen and bpftool need."""
    return L.sh("nsenter", "--net=" + ns.path, *args, **kw)


def snmp6(ns):
    """The namespace's IPv6 counters: /proc/net follows the reader's netns."""
    out = nsenter(ns, "cat", "/proc/net/snmp6").stdout
    return {k: int(v) for k, v in (line.split() for line in out.splitlines() if line.strip())}


class Responder:
    """One responder on the server's veth: start(), answered(kind) as a
    running total of the replies it sent, stop()."""
    key = label = ""
    kinds = ("echo", "ns")
    elsewhere = False

    def __init__(self, bench):
        self.b = bench

    def start(self):
        pass

    def stop(self):
        pass

    def answered(self, kind):
        raise NotImplementedError


class Things(Responder):
    key, label = "things", "IPv6 Things (thingsd)"
    kinds = KINDS
    APPS = {"echo": ("routed", ("echo-reply",)), "ns": ("lan", ("na", "na-dad")),
            "te": ("story", ("icmp-error",))}

    def start(self):
        # The same two apps as `make demo` and the integration tests, and a
        # trace app without error limits (one source would be over any
        # per-source rate at once): what the data plane itself can do.
        story = os.path.join(self.b.lab.tmp, "bench.story")
        with open(story, "w") as f:
            for hop in range(1, 256):
                f.write("2001:db8:7ace:1::%x line-%d.of.the.bench.story\n" % (hop, hop))
        self.d = self.b.lab.thingsd(self.b.server, (
            "error_rate = 0\n\n%s\n[app story]\nkind = trace\nprefix = %s\nrate = 0\n"
            "story = %s %s\n") % (L.DEMO_APPS, TRACE_PREFIX, TRACE_PREFIX, story))

    def stop(self):
        # Removes the pins too, so every round starts from fresh maps.
        self.d.cleanup()

    def answered(self, kind):
        app, actions = self.APPS[kind]
        for a in self.d.ctl_json("app", "list"):
            if a["name"] == app:
                return sum(a["counters"][act]["packets"] for act in actions)
        raise RuntimeError("thingsctl app list has no app %r" % app)


class Minimal(Responder):
    key, label = "minimal", "minimal XDP responder"

    @staticmethod
    def pin_path(lab):
        return "%s/things-%s-minimal-%s" % (L.BPFFS, lab.tag, lab.suffix)

    def start(self):
        self.pin = self.pin_path(self.b.lab)
        self.b.lab.undo.append(lambda: L.sh("rm", "-f", self.pin, check=False))
        nsenter(self.b.server, self.b.loadgen, "minimal", "--build", self.b.build,
                "--dev", SERVER_DEV, "--pin", self.pin)

    def stop(self):
        self.b.server.ip("link", "set", "dev", SERVER_DEV, "xdp", "off")
        L.sh("rm", "-f", self.pin)

    def answered(self, kind):
        # One counter for both kinds: runs never overlap.
        dump = json.loads(L.sh("bpftool", "-j", "map", "dump", "pinned", self.pin).stdout)
        values = dump[0]["formatted"]["values"] if "formatted" in dump[0] else [
            {"value": int.from_bytes(bytes(int(b, 16) for b in v["value"]), "little")}
            for v in dump[0]["values"]]
        return sum(v["value"] for v in values)


class Kernel(Responder):
    key, label = "kernel", "Linux, AnyIP `local` route"

    def start(self):
        # The /64 too: even with it local, the kernel answers no NS for it.
        for net in (L.ROUTED, L.ONLINK):
            self.b.server.ip("-6", "route", "add", "local", str(net), "dev", "lo")

    def stop(self):
        for net in (L.ROUTED, L.ONLINK):
            self.b.server.ip("-6", "route", "del", "local", str(net), "dev", "lo")

    def answered(self, kind):
        field = "Icmp6OutEchoReplies" if kind == "echo" else "Icmp6OutNeighborAdvertisements"
        return snmp6(self.b.server)[field]


class Ndppd(Responder):
    key, label = "ndppd", "ndppd, static rule"
    kinds = ("ns",)    # a proxy for NDP: it answers no echo
    elsewhere = True   # reads its socket on another CPU than the generator's

    def start(self):
        conf = os.path.join(self.b.lab.tmp, "ndppd.conf")
        with open(conf, "w") as f:
            f.write("proxy %s {\n    rule %s {\n        static\n    }\n}\n" %
                    (SERVER_DEV, L.ONLINK))
        self.log_path = os.path.join(self.b.lab.tmp, "ndppd.log")
        with open(self.log_path, "w") as out:
            # Without -d it stays in the foreground, so the PID is its own.
            self.proc = self.b.server.popen("ndppd", "-c", conf, stdout=out,
                                            stderr=subprocess.STDOUT)
        self.b.lab.undo.append(self.stop)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def answered(self, kind):
        return snmp6(self.b.server)["Icmp6OutNeighborAdvertisements"]


RESPONDERS = (Things, Minimal, Kernel, Ndppd)


class Bench:
    def __init__(self, args, lab):
        self.args, self.lab = args, lab
        self.build = os.path.abspath(args.build)
        self.loadgen = os.path.join(self.build, "bench", "loadgen")
        self.client, self.server = lab.netns("client"), lab.netns("server")
        lab.veth(self.client, CLIENT_DEV, self.server, SERVER_DEV)
        # The generator's parking place: it never comes up, so no frame
        # ever reaches the program there.
        self.client.ip("link", "add", IDLE_DEV, "type", "veth", "peer", "name", IDLE_PEER)
        self.client.ip("addr", "add", L.CLIENT_LAN + "/64", "dev", CLIENT_DEV, "nodad")
        self.server.ip("addr", "add", SERVER_ADDR + "/64", "dev", SERVER_DEV, "nodad")
        self.client_mac = self.client.link_mac(CLIENT_DEV)
        self.server_mac = self.server.link_mac(SERVER_DEV)
        # Frames redirected into a veth reach its peer only through the
        # peer's NAPI, which an XDP program or GRO turns on: GRO is how the
        # kernel and ndppd, which have no XDP program, get them.
        self.server.run("ethtool", "-K", SERVER_DEV, "gro", "on")
        # The kernel and ndppd answer the client through the neighbour
        # table: resolved once, here, rather than in the middle of a run.
        self.server.ip("-6", "neigh", "replace", L.CLIENT_LAN, "lladdr", self.client_mac,
                       "dev", SERVER_DEV, "nud", "permanent")

    def send(self, kind, seconds, rate=0):
        out = nsenter(self.client, self.loadgen, "send", "--build", self.build,
                      "--dev", CLIENT_DEV, "--idle-dev", IDLE_DEV,
                      "--kind", LOADGEN_KINDS.get(kind, kind),
                      "--dst-mac", self.server_mac, "--src", L.CLIENT_LAN,
                      "--prefix", PREFIXES[kind], "--seconds", "%g" % seconds,
                      "--rate", str(rate), "--slice-us", str(self.args.slice_us),
                      "--cpu", str(self.args.cpu),
                      timeout=seconds + 60).stdout
        return json.loads(out)

    @staticmethod
    def cpu_times():
        """Clock ticks per CPU from /proc/stat: {cpu: [user, nice, ...]}."""
        with open("/proc/stat") as f:
            return {int(line.split()[0][3:]): [int(v) for v in line.split()[1:]]
                    for line in f if line.startswith("cpu") and line[3].isdigit()}

    def measure(self, resp, kind, seconds, rate=0):
        before, ticks = resp.answered(kind), self.cpu_times()
        run = self.send(kind, seconds, rate)
        run["answered"] = resp.answered(kind) - before
        after = self.cpu_times()
        for what in ("sent", "answered", "seen"):
            run[what + "_per_s"] = run[what] / run["seconds"]
        # What else the machine did meanwhile explains a slow run: time a
        # hypervisor took from the generator's CPU, and work on the others.
        delta = {cpu: [b - a for a, b in zip(ticks[cpu], after[cpu])] for cpu in after}
        gen = delta.pop(self.args.cpu)
        run["cpu_steal_fraction"] = gen[7] / sum(gen) if sum(gen) else 0.0
        others = [d for d in delta.values() if sum(d)]
        run["other_cpus_busy_fraction"] = (
            sum(1 - (d[3] + d[4]) / sum(d) for d in others) / len(others) if others else 0.0)
        return run

    def wait_answering(self, resp, kind, timeout=10):
        """Until the responder answers a short paced burst: it is up, and
        the first run does not time its start-up. The kernel answers no NS:
        for it the burst is only a warm-up."""
        deadline = time.time() + timeout
        while True:
            run = self.measure(resp, kind, 0.05, 20000)
            if run["seen"] or (resp.key == "kernel" and kind == "ns"):
                return
            if time.time() > deadline:
                raise RuntimeError("%s answered none of %d %s requests in %ds" %
                                   (resp.label, run["sent"], kind, timeout))
            time.sleep(0.1)

    def xdp_prog(self):
        return self.server.ip_json("link", "show", SERVER_DEV)[0].get("xdp")

    def run(self):
        results = {r.key: {"label": r.label, "elsewhere": r.elsewhere,
                           "runs": {k: [] for k in r.kinds},
                           "paced": {k: [] for k in r.kinds}} for r in self.responders()}
        # Rounds of every responder in turn, so that a slow spell of this
        # machine falls on all of them alike rather than on one.
        for rnd in range(self.args.runs):
            for resp in self.responders():
                if self.xdp_prog():
                    raise RuntimeError("%s still has an XDP program before %s starts: %s" %
                                       (SERVER_DEV, resp.label, self.xdp_prog()))
                log("round %d/%d: %s" % (rnd + 1, self.args.runs, resp.label))
                resp.start()
                try:
                    for kind in resp.kinds:
                        self.wait_answering(resp, kind)
                        results[resp.key]["runs"][kind].append(
                            self.measure(resp, kind, self.args.seconds))
                        if rnd == self.args.runs - 1:
                            for rate in self.args.rates:
                                results[resp.key]["paced"][kind].append(
                                    self.measure(resp, kind, self.args.paced_seconds, rate))
                finally:
                    resp.stop()
        return results

    def responders(self):
        if not hasattr(self, "_responders"):
            self._responders = [cls(self) for cls in RESPONDERS
                                if not self.args.only or cls.key in self.args.only]
        return self._responders


def summarise(results):
    for res in results.values():
        res["summary"] = {}
        for kind, runs in res["runs"].items():
            s = {}
            for what in ("sent", "answered", "seen"):
                v = [r[what + "_per_s"] for r in runs]
                s[what + "_per_s"] = {"median": statistics.median(v), "min": min(v),
                                      "max": max(v)}
            s["other_cpus_busy_max"] = max(r["other_cpus_busy_fraction"] for r in runs)
            s["paced"] = [{"rate": r["rate"], "offered_per_s": r["sent_per_s"],
                           "answered_fraction": r["answered"] / r["sent"] if r["sent"] else 0,
                           "seen_fraction": r["seen"] / r["sent"] if r["sent"] else 0}
                          for r in res["paced"][kind]]
            res["summary"][kind] = s


def round_ratios(results, kind, peer):
    """IPv6 Things' answered rate over the peer's, round by round: both
    sides of each were measured a few seconds apart."""
    try:
        a = results["things"]["runs"][kind]
        b = results[peer]["runs"][kind]
    except KeyError:
        return []
    return [x["answered_per_s"] / y["answered_per_s"] if y["answered_per_s"] else None
            for x, y in zip(a, b)]


def ratio(results, kind, peer):
    """IPv6 Things' median answered rate over the peer's, or None."""
    try:
        a = results["things"]["summary"][kind]["answered_per_s"]["median"]
        b = results[peer]["summary"][kind]["answered_per_s"]["median"]
    except KeyError:
        return None
    return a / b if b else None


def trace_ratios(results):
    """IPv6 Things' Time Exceeded over its echo: the median, and round by
    round."""
    try:
        te, echo = (results["things"]["runs"][k] for k in ("te", "echo"))
        m = (results["things"]["summary"]["te"]["answered_per_s"]["median"] /
             results["things"]["summary"]["echo"]["answered_per_s"]["median"])
    except (KeyError, ZeroDivisionError):
        return None, []
    return m, [x["answered_per_s"] / y["answered_per_s"] if y["answered_per_s"] else None
               for x, y in zip(te, echo)]


def targets(results):
    out = []
    for kind, peer, least in TARGETS:
        r = ratio(results, kind, peer)
        out.append({"request": kind, "peer": peer, "least": least, "ratio": r,
                    "met": r is not None and r >= least,
                    "round_ratios": round_ratios(results, kind, peer)})
    if "things" in results:
        r, rounds = trace_ratios(results)
        out.append({"request": "te", "peer": "things-echo", "least": TRACE_TARGET, "ratio": r,
                    "met": r is not None and r >= TRACE_TARGET, "round_ratios": rounds})
    return out


def rate_label(r):
    """25000 -> 25k, 5000000 -> 5M."""
    for div, unit in ((1e6, "M"), (1e3, "k")):
        if r >= div:
            return "%g%s" % (r / div, unit)
    return str(r)


def rate_text(v):
    if v >= 1e6:
        return "%.2f M" % (v / 1e6)
    if v >= 1e3:
        return "%.1f k" % (v / 1e3)
    return "%d" % round(v)


def spread_text(s):
    """median (min-max), the range in the median's unit."""
    if not s["max"]:
        return "0"
    div, fmt = (1e6, "%.2f") if s["median"] >= 1e6 else (1e3, "%.1f") if s["median"] >= 1e3 \
        else (1, "%d")
    return "%s (%s-%s)" % (rate_text(s["median"]), fmt % (s["min"] / div), fmt % (s["max"] / div))


def paced_text(p):
    frac = p["seen_fraction"]
    cell = "100%" if frac == 1 else "%.1f%%" % (100 * min(frac, 0.999))
    if p["offered_per_s"] < 0.9 * p["rate"]:
        cell += " of %s" % rate_text(p["offered_per_s"])
    return cell


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"kernel": platform.release(), "arch": platform.machine(), "cpu": model,
            "cpus": os.cpu_count(), "date": datetime.date.today().isoformat()}


def markdown(results, tgts, args, mach, micro_table):
    rates = args.rates
    lines = [
        "Linux %s %s, %d x %s, %s. Median (min-max) of %d run%s of %g s; generator on CPU %d."
        % (mach["kernel"], mach["arch"], mach["cpus"], mach["cpu"], mach["date"], args.runs,
           "s" if args.runs > 1 else "", args.seconds, args.cpu),
        "",
        "| responder | request | answered/s | replies seen/s | IPv6 Things ÷ it | target |" +
        "".join(" at %s/s |" % rate_label(r) for r in rates),
        "| --- | --- | ---: | ---: | ---: | --- |" + " ---: |" * len(rates),
    ]
    goal = {(t["request"], t["peer"]): t for t in tgts}
    for kind in KINDS:
        for key, res in results.items():
            if kind not in res["summary"]:
                continue
            s = res["summary"][kind]
            a = s["answered_per_s"]
            r = ratio(results, kind, key) if key != "things" else None
            t = goal.get((kind, key))
            if kind == "te" and key == "things":
                t = goal.get(("te", "things-echo"))
                r = t["ratio"] if t else None
            lines.append("| %s | %s | %s | %s | %s | %s |%s" % (
                res["label"], KIND_LABELS[kind], spread_text(a), spread_text(s["seen_per_s"]),
                "%.2f" % r if r is not None else "",
                ">= %g%s: %s" % (t["least"], " x its echo" if t["peer"] == "things-echo" else "",
                                 "met" if t["met"] else "**missed**") if t else "",
                "".join(" %s |" % paced_text(p) for p in s["paced"])))
    lines += [
        "",
        "answered: replies the responder sent (its own counter); seen: replies that reached"
        " the client; at N/s: replies seen per request sent, paced in bursts every %d us"
        " (\"of X\": the rate actually offered, when the path could not take N/s)." %
        args.slice_us,
    ]
    busy = max((s["other_cpus_busy_max"] for res in results.values() if not res["elsewhere"]
                for s in res["summary"].values()), default=0)
    if busy > 0.1:
        lines += ["", "Other CPUs were up to %.0f%% busy during a full-speed run of a responder"
                  " that does not use them: this machine was not quiet." % (100 * busy)]
    if micro_table:
        lines += ["", "ns per packet under BPF_PROG_TEST_RUN (bench/micro):", "", micro_table]
    return "\n".join(lines) + "\n"


def run_micro(args, out_dir):
    path = os.path.join(out_dir, "micro.json")
    cmd = [os.path.join(args.build, "bench", "micro"), "--build", args.build, "--json", path]
    if args.smoke:
        cmd.append("--quick")
    res = L.sh(*cmd, timeout=600)
    with open(path) as f:
        return res.stdout.strip(), json.load(f)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(REPO, "build"))
    p.add_argument("--out", help="where to write throughput.md and .json (default BUILD/bench)")
    p.add_argument("--runs", type=int, default=3, help="full-speed runs per responder")
    p.add_argument("--seconds", type=float, default=2.0, help="length of a full-speed run")
    p.add_argument("--paced-seconds", type=float, default=1.0, help="length of a paced run")
    p.add_argument("--rates", default=",".join(str(r) for r in PACED_RATES),
                   help="requests per second of the paced runs")
    p.add_argument("--slice-us", type=int, default=1000, help="pacing interval")
    p.add_argument("--cpu", type=int, default=(os.cpu_count() or 1) - 1,
                   help="the generator's CPU (default: the last)")
    p.add_argument("--only", help="comma-separated responders: " +
                   ",".join(r.key for r in RESPONDERS))
    p.add_argument("--no-micro", action="store_true", help="leave out bench/micro")
    p.add_argument("--smoke", action="store_true",
                   help="a check that every step works: one short run of each, micro --quick")
    args = p.parse_args()
    if args.smoke:
        args.runs, args.seconds, args.paced_seconds = 1, 0.2, 0.05
    args.rates = [int(r) for r in args.rates.split(",") if r]
    args.only = set(args.only.split(",")) if args.only else None
    if args.only and args.only - {r.key for r in RESPONDERS}:
        p.error("--only: unknown responder in %s" % ",".join(sorted(args.only)))
    if args.runs < 1 or args.seconds <= 0 or args.paced_seconds <= 0:
        p.error("--runs, --seconds and --paced-seconds must be positive")
    args.build = os.path.abspath(args.build)
    args.out = os.path.abspath(args.out or os.path.join(args.build, "bench"))
    return args


def stop(signum, frame):
    raise KeyboardInterrupt


def main():
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces, XDP)")
    missing = [t for t in ("ndppd", "ethtool", "bpftool", "nsenter") if not shutil.which(t)]
    for f in ("thingsd", "thingsctl", "bench/loadgen", "bench/loadgen.bpf.o",
              "bench/replies.bpf.o", "bench/minimal.bpf.o", "bench/micro"):
        if not os.path.exists(os.path.join(args.build, f)):
            missing.append(os.path.join(args.build, f))
    if missing:
        sys.exit("bench: missing %s: `make bench` installs and builds them" % ", ".join(missing))
    signal.signal(signal.SIGTERM, stop)
    os.makedirs(args.out, exist_ok=True)
    L.ensure_bpffs()
    started = time.time()
    try:
        # First: it is quick, and a failure there should not cost a whole run.
        micro_table, micro = ("", None) if args.no_micro else run_micro(args, args.out)
        with L.Lab("bench") as lab:
            bench = Bench(args, lab)
            made = {"netns": [bench.client.name, bench.server.name],
                    # thingsd's, as lab.Thingsd names it, and the minimal
                    # responder's counter.
                    "pins": ["%s/things-%s-%s" % (L.BPFFS, lab.tag, lab.suffix),
                             Minimal.pin_path(lab)],
                    "tmp": lab.tmp}
            results = bench.run()
    except KeyboardInterrupt:
        sys.exit("bench: interrupted; everything it made is removed")
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        sys.exit("bench: %s" % e)

    summarise(results)
    tgts = targets(results)
    mach = machine()
    text = markdown(results, tgts, args, mach, micro_table)
    report = {"machine": mach, "runs": args.runs, "seconds": args.seconds,
              "paced_seconds": args.paced_seconds, "slice_us": args.slice_us,
              "generator_cpu": args.cpu, "smoke": args.smoke, "responders": results,
              "targets": tgts, "micro": micro, "wall_seconds": time.time() - started,
              "removed": made}
    with open(os.path.join(args.out, "throughput.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "throughput.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(text, end="")
    log("wrote %s/throughput.md and throughput.json in %.0f s" %
        (args.out, time.time() - started))


if __name__ == "__main__":
    main()
