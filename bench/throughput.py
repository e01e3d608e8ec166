#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""make bench: requests answered per second by IPv6 Things and by its peers
under one load, with the micro-benchmark's ns/packet table; one Markdown
report on stdout and in OUT/throughput.md, the figures in OUT/throughput.json.

    client namespace                          server namespace
    gi0 -- gi1   idle, down: the generator stays attached to gi0
    c0  [replies.bpf.c]  <--------- veth --------->  h0  [responder]
     ^ loadgen.bpf.c, run with BPF_F_TEST_XDP_LIVE_FRAMES, sends out of c0

Responders, one at a time on h0: thingsd (an echo app on the routed /48 and
an on-link echo app on the /64; then again with a board, a canvas that
answers and one that is silent as well), the kernel with AnyIP `local`
routes, ndppd with a static rule for the /64, and the minimal XDP responder.

The generator's test run, the server's NAPI poll (its XDP program, or the
kernel's stack) and the client's NAPI poll (the counter) all run on the
generator's CPU, one batch after another. A rate is therefore the inverse
of the whole path's cost per request, and the generator cannot outrun an
in-kernel responder: it loses nothing at any rate. ndppd reads from a
socket on another CPU, and its socket buffer overflows when a burst comes
faster than it reads. So does a reader of the board's log, also on another
CPU, when posts come faster than it reads.

Everything this makes (namespaces, processes, pins, files in /tmp) is removed
at the end, on a failure and on Ctrl-C or SIGTERM as well.
"""
import argparse
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))
import lab as L  # noqa: E402
import throughput_pairs as P  # noqa: E402
import throughput_report as R  # noqa: E402

PACED_RATES = (25000, 100000, 1000000, 5000000)
CLIENT_DEV, SERVER_DEV, IDLE_DEV, IDLE_PEER = "c0", "h0", "gi0", "gi1"
SERVER_ADDR = L.HOST_LAN

# Apps that read the address, where bench/micro has them too.
BOARD_NET, CANVAS_NET, CANVAS_SILENT_NET = "2001:db8:10::/64", "2001:db8:12::/64", \
    "2001:db8:13::/64"
CANVAS_SIDE = 1024
APPS_CONF = """
[app board]
kind = board
prefix = %s

[app canvas]
kind = canvas
prefix = %s
silent = no
width = %d
height = %d

[app canvas-silent]
kind = canvas
prefix = %s
width = %d
height = %d
""" % (BOARD_NET, CANVAS_NET, CANVAS_SIDE, CANVAS_SIDE, CANVAS_SILENT_NET, CANVAS_SIDE,
       CANVAS_SIDE)
# Traceroute probes are loadgen's echo requests to a trace app whose one
# story covers its prefix with a line for every hop limit: each is answered
# with Time Exceeded. Its per-source and host error limits are off: one
# source would be over any per-source rate at once, and the row is about
# what the data plane can build.
TRACE_NET = "2001:db8:7ace::/48"
TRACE_CONF = """
[app story]
kind = trace
prefix = %s
rate = 0
story = %s %%s
""" % (TRACE_NET, TRACE_NET)
# request: (loadgen --kind, --prefix)
REQUESTS = {"echo": ("echo", str(L.ROUTED)), "ns": ("ns", str(L.ONLINK)),
            "canvas": ("canvas", CANVAS_NET), "canvas-silent": ("canvas", CANVAS_SILENT_NET),
            "canvas-rows": ("canvas-rows", CANVAS_NET),
            "board": ("board", BOARD_NET), "te": ("echo", TRACE_NET)}


def apps_conf(tmp):
    """thingsd's config with the apps: the demo's two, the board, the two
    canvases, and the trace app whose one story answers every hop limit."""
    story = os.path.join(tmp, "bench.story")
    with open(story, "w") as f:
        for hop in range(1, 256):
            f.write("2001:db8:7ace:1::%x line-%d.of.the.bench.story\n" % (hop, hop))
    # error_rate lands in [daemon], which the lab's config opens with.
    return "error_rate = 0\n\n" + L.DEMO_APPS + APPS_CONF + TRACE_CONF % story


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


def end_process(proc, sig=signal.SIGTERM, timeout=10):
    """Ends a process this script started, by its own handle."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Responder:
    """One responder on the server's veth: start(), sample(kind) as running
    totals (at least "answered": the replies it sent), stop()."""
    key = label = ""
    kinds = R.KINDS
    paced_kinds = R.KINDS
    elsewhere = False

    def __init__(self, bench):
        self.b = bench

    def start(self):
        pass

    def stop(self):
        pass

    def sample(self, kind):
        return {"answered": self.answered(kind)}

    def answered(self, kind):
        raise NotImplementedError


class Reader:
    """`loadgen follow` on the board's log, on a CPU of its own, for the
    length of one run."""

    def __init__(self, bench, pin_dir):
        self.proc = subprocess.Popen(
            (bench.loadgen, "follow", "--pin-dir", pin_dir, "--app", "board",
             "--cpu", str(bench.args.reader_cpu), "--poll-us", str(bench.args.reader_poll_us)),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        bench.lab.undo.append(lambda: end_process(self.proc, signal.SIGKILL))
        # It has read the log's head once it says so: only then may the
        # posts it is to count begin.
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith('{"head"'):
            end_process(self.proc, signal.SIGKILL)
            raise RuntimeError("loadgen follow did not start: %s" % self.proc.stderr.read())

    def result(self):
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=60)
        if self.proc.returncode != 0:
            raise RuntimeError("loadgen follow failed (exit %d): %s" %
                               (self.proc.returncode, err.strip()))
        return json.loads(out)


class Things(Responder):
    key, label = R.OWN, "IPv6 Things (thingsd)"
    # The same two echo apps as `make demo` and the integration tests.
    conf = L.DEMO_APPS
    APPS = {"echo": ("routed", ("echo-reply",)), "ns": ("lan", ("na", "na-dad"))}
    # request: (app, the stats reason of a state change)
    CHANGES = {"canvas": ("canvas", "canvas-painted"),
               "canvas-silent": ("canvas-silent", "canvas-painted"),
               "board": ("board", "board-posted")}

    def start(self):
        self.d = self.b.lab.thingsd(self.b.server, self.conf)

    def stop(self):
        # Removes the pins too, so every round starts from fresh maps.
        self.d.cleanup()

    def sample(self, kind):
        stats = self.d.ctl_json("stats")
        name = self.APPS[kind][0] if kind in self.APPS else self.CHANGES[kind][0]
        app = next((a for a in stats["apps"] if a["name"] == name), None)
        if not app:
            raise RuntimeError("thingsctl stats has no app %r" % name)
        counters = {act: c["packets"] for act, c in app["counters"].items()}
        if kind in self.APPS:
            return {"answered": sum(counters[act] for act in self.APPS[kind][1])}
        update = counters["app-update"]
        return {"changed": stats["reasons"][self.CHANGES[kind][1]]["packets"],
                # a silent app sends no reply, whatever it did
                "answered": 0 if app["silent"] else update + counters["app-ignored"],
                "refused": sum(counters.values()) - update}



class ThingsApps(Things):
    """thingsd with the apps that read the address too: they are measured
    against its echo, the same fast table behind both. (The echo and NS
    rows of the first table keep the table they always had.)"""
    key, label = R.OWN_APPS, "IPv6 Things (thingsd), with the apps"
    conf = L.DEMO_APPS + APPS_CONF
    kinds = ("echo",) + R.APP_KINDS
    paced_kinds = ("board",)
    APPS = dict(Things.APPS, te=("story", ("icmp-error",)))

    def start(self):
        self.d = self.b.lab.thingsd(self.b.server, apps_conf(self.b.lab.tmp))

    def reader(self):
        return Reader(self.b, self.d.pin_dir)


class Minimal(Responder):
    key, label = "minimal", "minimal XDP responder"
    # An app's requests are echo requests to it: the same frames, answered.
    kinds = R.KINDS + ("canvas", "board")

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
        # One counter for every kind: runs never overlap.
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
    kinds = paced_kinds = ("ns",)    # a proxy for NDP: it answers no echo
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
        end_process(self.proc)

    def answered(self, kind):
        return snmp6(self.b.server)["Icmp6OutNeighborAdvertisements"]


RESPONDERS = (Things, ThingsApps, Minimal, Kernel, Ndppd)


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
        # Board texts go on from run to run: no text is ever sent twice.
        self.text_next = 0

    # What throughput_pairs.py uses of this module.
    log = staticmethod(log)
    end_process = staticmethod(end_process)
    nsenter = staticmethod(nsenter)

    @staticmethod
    def request(kind):
        return REQUESTS[kind]

    @staticmethod
    def apps_conf(lab):
        return apps_conf(lab.tmp)

    def send(self, kind, seconds, rate=0):
        gen_kind, prefix = REQUESTS[kind]
        out = json.loads(nsenter(
            self.client, self.loadgen, "send", "--build", self.build,
            "--dev", CLIENT_DEV, "--idle-dev", IDLE_DEV, "--kind", gen_kind,
            "--dst-mac", self.server_mac, "--src", L.CLIENT_LAN,
            "--prefix", prefix, "--seconds", "%g" % seconds,
            "--rate", str(rate), "--slice-us", str(self.args.slice_us),
            "--cpu", str(self.args.cpu), "--canvas-size", "%dx%d" % (CANVAS_SIDE, CANVAS_SIDE),
            "--first-text", str(self.text_next),
            timeout=seconds + 60).stdout)
        self.text_next = max(self.text_next, out["text_next"])
        return out

    @staticmethod
    def cpu_times():
        """Clock ticks per CPU from /proc/stat: {cpu: [user, nice, ...]}."""
        with open("/proc/stat") as f:
            return {int(line.split()[0][3:]): [int(v) for v in line.split()[1:]]
                    for line in f if line.startswith("cpu") and line[3].isdigit()}

    def measure(self, resp, kind, seconds, rate=0, follow=False):
        """One run; with follow, a reader follows the board's log meanwhile."""
        before, ticks = resp.sample(kind), self.cpu_times()
        reader = resp.reader() if follow else None
        run = self.send(kind, seconds, rate)
        if reader:
            run["reader"] = reader.result()
        after = self.cpu_times()
        run.update({k: v - before[k] for k, v in resp.sample(kind).items()})
        for what in ("sent", "answered", "seen", "changed"):
            if what in run:
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
        """Until the responder answers a short paced burst (a silent app:
        acts on it): it is up, and the first run does not time its start-up.
        The kernel answers no NS: for it the burst is only a warm-up."""
        deadline = time.time() + timeout
        while True:
            run = self.measure(resp, kind, 0.05, 20000)
            if run["seen"] or run.get("changed") or (resp.key == "kernel" and kind == "ns"):
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
                        # The board's log has a live reader in every run
                        # that is timed.
                        follow = kind == "board" and hasattr(resp, "reader")
                        self.wait_answering(resp, kind)
                        results[resp.key]["runs"][kind].append(
                            self.measure(resp, kind, self.args.seconds, follow=follow))
                        if rnd == self.args.runs - 1 and kind in resp.paced_kinds:
                            for rate in self.args.rates:
                                results[resp.key]["paced"][kind].append(
                                    self.measure(resp, kind, self.args.paced_seconds, rate,
                                                 follow))
                finally:
                    resp.stop()
        return results

    def responders(self):
        if not hasattr(self, "_responders"):
            self._responders = [cls(self) for cls in RESPONDERS
                                if not self.args.only or cls.key in self.args.only]
        return self._responders


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
    p.add_argument("--reader-cpu", type=int,
                   help="the board log reader's CPU (default: the first that is not --cpu)")
    p.add_argument("--reader-poll-us", type=int, default=100000,
                   help="how long the reader sleeps once it has caught up (default: 100 ms,"
                   " as `thingsctl board follow`)")
    p.add_argument("--only", help="comma-separated responders of the runs one after"
                   " another, and `pairs` for the paired runs: " +
                   ",".join(r.key for r in RESPONDERS) + ",pairs")
    p.add_argument("--pair-rounds", type=int, default=P.ROUNDS,
                   help="rounds of each paired run (default %d)" % P.ROUNDS)
    p.add_argument("--pair-slice-ms", type=int, default=P.SLICE_MS,
                   help="how long each side of a pair sends in a round (default %d)" %
                   P.SLICE_MS)
    p.add_argument("--no-micro", action="store_true", help="leave out bench/micro")
    p.add_argument("--smoke", action="store_true",
                   help="a check that every step works: one short run of each, micro --quick")
    args = p.parse_args()
    if args.smoke:
        args.runs, args.seconds, args.paced_seconds = 1, 0.2, 0.05
    args.rates = [int(r) for r in args.rates.split(",") if r]
    args.only = set(args.only.split(",")) if args.only else None
    if args.only and args.only - {r.key for r in RESPONDERS} - {"pairs"}:
        p.error("--only: unknown responder in %s" % ",".join(sorted(args.only)))
    if args.runs < 1 or args.seconds <= 0 or args.paced_seconds <= 0 or \
            args.pair_rounds < 1 or args.pair_slice_ms < 1:
        p.error("--runs, --seconds, --paced-seconds, --pair-rounds and --pair-slice-ms"
                " must be positive")
    if args.reader_cpu is None:
        args.reader_cpu = next((c for c in range(os.cpu_count() or 1) if c != args.cpu),
                               args.cpu)
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
            pairs = None
            if not args.only or "pairs" in args.only:
                with L.Lab("bench-pt") as lab_t, L.Lab("bench-pa") as lab_a:
                    paired = P.Paired(bench, (lab_t, lab_a, lab), args)
                    made["netns"] += [s.ns.name for s in paired.srv.values()]
                    made["pins"] += [paired.things.pin_dir, paired.apps.pin_dir,
                                     paired.minimal_pin]
                    made["tmp_pairs"] = [lab_t.tmp, lab_a.tmp]
                    pairs = paired.run()
    except KeyboardInterrupt:
        sys.exit("bench: interrupted; everything it made is removed")
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        sys.exit("bench: %s" % e)

    R.summarise(results)
    tgts = R.targets(results, pairs)
    mach = R.machine()
    text = R.markdown(results, tgts, args, mach, micro_table, pairs)
    report = {"machine": mach, "runs": args.runs, "seconds": args.seconds, "pairs": pairs,
              "paced_seconds": args.paced_seconds, "slice_us": args.slice_us,
              "generator_cpu": args.cpu, "reader_cpu": args.reader_cpu,
              "reader_poll_us": args.reader_poll_us, "smoke": args.smoke, "responders": results,
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
