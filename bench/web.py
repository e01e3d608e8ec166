#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""things-web's figures: PNG encodes per second of a 1024 x 1024 canvas, the
time from a ping to its event on an open event stream, and the data plane's
rates with and without 200 viewers, in the same run. One Markdown report on
stdout and in OUT/web.md, the figures in OUT/web.json.

1. Ping to event: thingsd and things-web in the test suite's LAN lab; an
   event stream of a board is open in the host's namespace, and a raw
   socket in the client's sends echo requests, each posting a new text, at
   random gaps (so that they fall anywhere in things-web's poll interval).
   A sample is the time from the request's send() to its text's event.
2. Encodes: the same lab's 1024 x 1024 canvas, watched by a stream, painted
   one pixel at a time: black, then after things-ping has painted it with
   random pixels (every pixel a random colour: the worst case for PNG).
   things-web's own counters say how many PNGs it made and how long
   encoding took: encodes per second = 1 / the mean.
3. Data plane: bench/throughput.py's topology and generator (loadgen on the
   last CPU) against thingsd with its apps; things-web and the viewers run
   on the other CPUs. Rounds go through three conditions: no viewer; 200
   viewers of the canvas being painted (each with the canvas's event stream
   and a PNG fetched for each frame, as the page does); and, as the
   control, a busy loop on each of those CPUs and no viewer, which shows
   what any program that keeps them busy costs the generator's CPU on this
   machine. Echo requests and random pixels in each.

Everything it makes is removed at the end, on a failure and on Ctrl-C too.

    bench/web.py [--runs N] [--seconds S] [--samples N] [--viewers N] [--smoke]
"""
import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))
import lab as L  # noqa: E402
import test_apps as A  # noqa: E402
import test_web as W  # noqa: E402
import throughput as T  # noqa: E402
from PIL import Image  # noqa: E402
from throughput_report import spread  # noqa: E402

PORT = 8080
SIDE = 1024
INTERVAL_MS = 25        # things-web's default --interval, given explicitly
# The test suite's apps, the canvas made 1024 x 1024.
LAB_APPS = A.APPS.replace("width = 64\nheight = 48", "width = %d\nheight = %d" % (SIDE, SIDE))
assert "width = %d" % SIDE in LAB_APPS


def log(text):
    print("bench/web: %s" % text, file=sys.stderr, flush=True)


def metric(web, name, app):
    for n, labels, v in W.parse_metrics(web.metrics()):
        if n == name and labels.get("app") == app:
            return v
    raise RuntimeError("no %s{app=%r} in /metrics" % (name, app))


def encode_account(web, app):
    return metric(web, "things_web_png_encodes_total", app), \
        metric(web, "things_web_png_encode_seconds_total", app)


def encodes_between(before, after):
    n, secs = after[0] - before[0], after[1] - before[1]
    return {"encodes": int(n), "seconds": secs,
            "mean_ms": 1000 * secs / n if n else None,
            "per_s": n / secs if secs else None}


# ---- 1 and 2: the LAN lab ----

class Pinger:
    """Echo requests from the client's namespace, sent without waiting for
    a reply (a silent canvas sends none). The kernel fills in the
    checksum of a raw ICMPv6 socket's packets."""

    def __init__(self, ns):
        self.nst = W.NsThread(ns)
        self.sock = self.nst(socket.socket, socket.AF_INET6, socket.SOCK_RAW,
                             socket.IPPROTO_ICMPV6)
        self.seq = 0

    def send(self, addr):
        self.seq += 1
        req = struct.pack("!BBHHH", 128, 0, 0, 0x7765, self.seq & 0xffff) + b"things-web bench"
        self.nst(self.sock.sendto, req, (addr, 0))

    def close(self):
        self.nst(self.sock.close)
        self.nst.close()


def board_address(n):
    """A new 8-character text for post n, as the board's address."""
    text = b"L%07d" % n
    return "2001:db8:1:b0a:%x:%x:%x:%x" % struct.unpack("!4H", text), text.decode()


def watch(site, path, work):
    """work(loop) while an event stream of path is open; on_event gets its
    events."""
    async def main():
        stop = asyncio.Event()
        stream = asyncio.create_task(W.sse_viewer(PORT, path, stop, {"events": []},
                                                  site.on_event))
        await asyncio.sleep(0.5)
        await work(asyncio.get_running_loop())
        stop.set()
        stream.cancel()
    site.nst(lambda: asyncio.run(main()))


def ping_to_event(site, pinger, samples):
    """Seconds from a post's echo request to its event, and how many posts
    never came."""
    sent, got = {}, {}

    def on_event(event, data):
        now = time.monotonic()
        for m in data["messages"][:1]:
            if m["text"] in sent and m["text"] not in got:
                got[m["text"]] = now - sent[m["text"]]

    async def work(loop):
        rng = random.Random(1)
        for n in range(samples):
            addr, text = board_address(n)
            sent[text] = time.monotonic()
            await loop.run_in_executor(None, pinger.send, addr)
            await asyncio.sleep(rng.uniform(0.03, 0.09))
        deadline = loop.time() + 5
        while len(got) < samples and loop.time() < deadline:
            await asyncio.sleep(0.05)
    site.on_event = on_event
    watch(site, "/events/board/board", work)
    return sorted(got.values()), samples - len(got)


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def sparse_encodes(site, pinger, pixels):
    """A stream watches the canvas while single pixels are painted, each
    well after the last frame."""
    before = encode_account(site.web, "canvas")

    async def work(loop):
        for i in range(pixels):
            await loop.run_in_executor(None, pinger.send, "2001:db8:1:ca5:%x:%x:ff00:ff" %
                                       (i * 37 % SIDE, i * 101 % SIDE))
            await asyncio.sleep(0.3)
    site.on_event = None
    watch(site, "/events/canvas/canvas", work)
    return encodes_between(before, encode_account(site.web, "canvas"))


def lan_lab(args):
    with L.Lab("webbench") as lab:
        site = W.Site(lab, LAB_APPS, ("--interval", str(INTERVAL_MS)))
        pinger = Pinger(site.client)
        lab.undo.append(pinger.close)
        log("ping to event: %d posts" % args.samples)
        lat, lost = ping_to_event(site, pinger, args.samples)
        log("encodes: %d single pixels on a black canvas" % args.pixels)
        black = sparse_encodes(site, pinger, args.pixels)
        log("encodes: the canvas painted with random pixels, then %d single ones" % args.pixels)
        site.things_ping("canvas", A.CANVAS, site.image(Image.frombytes(
            "RGB", (SIDE, SIDE), random.Random(2).randbytes(3 * SIDE * SIDE)).convert("RGBA")))
        noise = sparse_encodes(site, pinger, args.pixels)
        return {"latency_s": lat, "latency_lost": lost, "encodes_black": black,
                "encodes_noise": noise}


# ---- 3: the data plane, with and without viewers ----

async def viewer(port, path, png_path, stop, stats):
    """What a page does: follows the event stream, and fetches the PNG of
    each frame, one at a time, skipping frames that come meanwhile."""
    sse_r, sse_w = await asyncio.open_connection("::1", port)
    png_r, png_w = await asyncio.open_connection("::1", port)
    sse_w.write(("GET %s HTTP/1.1\r\nHost: [::1]\r\n\r\n" % path).encode())
    status, _ = await W.read_head(sse_r)
    assert status == 200, status
    stats["connected"] += 1
    frames = asyncio.Queue()

    async def fetch():
        while True:
            version = await frames.get()
            while not frames.empty():
                version = frames.get_nowait()
            png_w.write(("GET %s?v=%d HTTP/1.1\r\nHost: [::1]\r\n\r\n" %
                         (png_path, version)).encode())
            status, hdrs = await W.read_head(png_r)
            left, first = int(hdrs["content-length"]), True
            while left:
                # counted as it comes: under load, a PNG takes a while
                chunk = await png_r.read(min(left, 1 << 16))
                if not chunk:
                    raise ConnectionError("the PNG ended early")
                if first and (status != 200 or chunk[:8] != b"\x89PNG\r\n\x1a\n"):
                    stats["errors"] += 1
                first = False
                left -= len(chunk)
                stats["bytes"] += len(chunk)
            stats["pngs"] += 1
    fetcher = asyncio.create_task(fetch())
    try:
        async for event, data in W.sse_events(sse_r):
            stats["events"] += 1
            frames.put_nowait(data["version"])
            if stop.is_set():
                break
    finally:
        fetcher.cancel()
        sse_w.close()
        png_w.close()


def run_viewers(port, n, app):
    """The viewers' process: prints "ready" once all are connected, and
    their counts as JSON at SIGTERM."""
    stats = {"viewers": n, "connected": 0, "events": 0, "pngs": 0, "bytes": 0, "errors": 0}

    async def main():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        tasks = [asyncio.create_task(viewer(port, "/events/canvas/" + app,
                                            "/canvas/%s.png" % app, stop, stats))
                 for _ in range(n)]
        while stats["connected"] < n:
            await asyncio.sleep(0.05)
            for t in tasks:
                if t.done():
                    t.result()
        print("ready", flush=True)
        await stop.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    asyncio.run(main())
    print(json.dumps(stats), flush=True)


class Viewers:
    """200 viewers in the server's namespace, on the CPUs given."""

    def __init__(self, bench, n, cpus):
        self.result = None
        self.proc = bench.server.popen("taskset", "-c", cpus, sys.executable,
                                       os.path.abspath(__file__), "viewers", "--viewers", str(n),
                                       stdout=subprocess.PIPE, text=True)
        bench.lab.undo.append(self.stop)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError("the viewers did not connect: %r" % line)

    def stop(self):
        if self.result is None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            out = self.proc.communicate(timeout=60)[0]
            self.result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        return self.result


class Busy:
    """The control: a busy loop on each of the CPUs given, nothing else."""

    def __init__(self, lab, cpus):
        self.procs = [subprocess.Popen(["taskset", "-c", c, "sh", "-c", "while :; do :; done"])
                      for c in cpus.split(",")]
        lab.undo.append(self.stop)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        return None


CONDITIONS = ("none", "viewers", "busy")


def data_plane(args):
    ncpu = os.cpu_count() or 1
    targs = argparse.Namespace(build=os.path.abspath(args.build), slice_us=1000, cpu=ncpu - 1,
                               reader_cpu=0)
    others = ",".join(str(c) for c in range(ncpu) if c != targs.cpu) or str(targs.cpu)
    rounds = []
    with L.Lab("webbench") as lab:
        bench = T.Bench(targs, lab)
        resp = T.ThingsApps(bench)
        resp.start()
        nst = W.NsThread(bench.server)
        lab.undo.append(nst.close)
        web = W.Web(lab, bench.server, nst, resp.d.pin_dir, PORT,
                    ("--interval", str(INTERVAL_MS)))
        # things-web's threads to the CPUs the generator leaves free.
        L.sh("taskset", "-a", "-p", "-c", others, str(web.proc.pid))
        for kind in args.kinds:
            bench.wait_answering(resp, kind)
        for rnd in range(args.runs):
            for cond in CONDITIONS:
                log("round %d/%d: %s" % (rnd + 1, args.runs, cond))
                load = Viewers(bench, args.viewers, others) if cond == "viewers" else \
                    Busy(lab, others) if cond == "busy" else None
                before = encode_account(web, "canvas")
                row = {"condition": cond, "runs": {k: bench.measure(resp, k, args.seconds)
                                                   for k in args.kinds}}
                row["encodes"] = encodes_between(before, encode_account(web, "canvas"))
                if load:
                    row["viewer_stats"] = load.stop()
                row["rss_kib"] = web.rss_kib()
                rounds.append(row)
        resp.stop()
    return rounds


def rate(run):
    return run["changed_per_s"] if "changed_per_s" in run else run["answered_per_s"]


def summarise(lan, rounds, args):
    lat = lan["latency_s"]
    out = {"latency_ms": {"median": 1000 * statistics.median(lat),
                          "p99": 1000 * percentile(lat, 99), "samples": len(lat),
                          "lost": lan["latency_lost"]} if lat else None,
           "encodes_black": lan["encodes_black"], "encodes_noise": lan["encodes_noise"],
           "rates": {}}
    for cond in CONDITIONS:
        mine = [r for r in rounds if r["condition"] == cond]
        out["rates"][cond] = {k: spread([rate(r["runs"][k]) for r in mine]) for k in args.kinds}
    watched = [r for r in rounds if r["condition"] == "viewers"]
    out["viewers"] = [r.get("viewer_stats") for r in watched]
    out["rss_kib"] = max(r["rss_kib"] for r in rounds)
    return out


def fmt(v, unit=""):
    if v is None:
        return "-"
    if v >= 1e6:
        return "%.2f M%s" % (v / 1e6, unit)
    if v >= 1e3:
        return "%.1f k%s" % (v / 1e3, unit)
    return "%.1f%s" % (v, unit)


def markdown(s, args):
    lines = ["things-web on %d CPUs; Linux %s." % (os.cpu_count() or 1, os.uname().release), ""]
    if s["latency_ms"]:
        lat = s["latency_ms"]
        lines += ["Ping to event (board post, stream open, poll every %d ms): median %.1f ms, "
                  "99th percentile %.1f ms (%d samples, %d lost)." %
                  (INTERVAL_MS, lat["median"], lat["p99"], lat["samples"], lat["lost"]),
                  ""]
    lines += ["PNGs of a 1024 x 1024 canvas, one per pixel painted:", "",
              "| canvas | PNGs | mean encode | encodes/s |",
              "| --- | ---: | ---: | ---: |"]
    for label, e in (("black", s["encodes_black"]),
                     ("every pixel a random colour", s["encodes_noise"])):
        lines.append("| %s | %d | %s | %s |" % (label, e["encodes"],
                                               fmt(e["mean_ms"], " ms"), fmt(e["per_s"])))
    lines += ["", "Data plane rate, median (min-max) of %d runs of %g s; the generator on "
              "CPU %d; things-web, and the viewers or the busy loops, on the others:" % (
                  args.runs, args.seconds, (os.cpu_count() or 1) - 1), "",
              "| request | no viewer | %d viewers | ratio | busy loops (control) | ratio |" %
              args.viewers, "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for k in args.kinds:
        cells = []
        base = s["rates"]["none"][k]["median"]
        for cond in CONDITIONS:
            r = s["rates"][cond][k]
            cells.append("%s/s (%s-%s)" % (fmt(r["median"]), fmt(r["min"]), fmt(r["max"])))
            if cond != "none":
                cells.append("%.2f" % (r["median"] / base if base else 0))
        lines.append("| %s | %s |" % (k, " | ".join(cells)))
    v = [x for x in s["viewers"] if x]
    if v:
        lines += ["", "Viewers, per round: %s events, %s whole PNGs, %s sent, %d errors; "
                  "things-web's largest RSS %.1f MiB." % (
                      "/".join(str(x["events"]) for x in v), "/".join(str(x["pngs"]) for x in v),
                      "/".join(fmt(x["bytes"], "B") for x in v), sum(x["errors"] for x in v),
                      s["rss_kib"] / 1024)]
    return "\n".join(lines) + "\n"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", nargs="?", default="run", choices=("run", "viewers"))
    p.add_argument("--build", default=os.path.join(REPO, "build"))
    p.add_argument("--out", help="where to write web.md and web.json (default BUILD/bench)")
    p.add_argument("--runs", type=int, default=3, help="rounds of each condition")
    p.add_argument("--seconds", type=float, default=2.0, help="length of a data plane run")
    p.add_argument("--samples", type=int, default=200, help="pings timed to their event")
    p.add_argument("--pixels", type=int, default=20, help="single pixels painted")
    p.add_argument("--viewers", type=int, default=200)
    p.add_argument("--smoke", action="store_true", help="one short round of everything")
    args = p.parse_args()
    if args.smoke:
        args.runs, args.seconds, args.samples, args.pixels = 1, 0.3, 10, 3
    args.kinds = ("echo", "canvas")
    args.out = os.path.abspath(args.out or os.path.join(args.build, "bench"))
    return args


def main():
    args = parse_args()
    if args.command == "viewers":
        run_viewers(PORT, args.viewers, "canvas")
        return
    if os.geteuid() != 0:
        sys.exit("bench/web: needs root (network namespaces, XDP)")
    signal.signal(signal.SIGTERM, T.stop)
    os.makedirs(args.out, exist_ok=True)
    L.ensure_bpffs()
    try:
        lan = lan_lab(args)
        rounds = data_plane(args)
    except KeyboardInterrupt:
        sys.exit("bench/web: interrupted; everything it made is removed")
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        sys.exit("bench/web: %s" % e)
    s = summarise(lan, rounds, args)
    text = markdown(s, args)
    with open(os.path.join(args.out, "web.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "web.json"), "w") as f:
        json.dump({"summary": s, "rounds": rounds, "latency_s": lan["latency_s"]}, f, indent=1)
        f.write("\n")
    print(text, end="")


if __name__ == "__main__":
    main()
