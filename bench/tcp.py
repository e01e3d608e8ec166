#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""make bench (TCP part): new connections per second and short requests per
second to a server reached three ways, in one run, on one topology:

  plain      the server binds the host's own address: the kernel's own path,
             the floor;
  listen     the same server started by thingsd with LISTEN_FDS, its socket
             steered to by things_sk_lookup for every address of a /64;
  socketbox  the same server receiving each connection from thingsd with
             socketbox's "A" protocol, for every address of another /64.

The server is build/bench/tcpbench (one epoll loop, HTTP/1.0 and keep-alive).
"connections/s": build/bench/tcpbench load, a new connection per request,
32 at a time. "requests/s": wrk, 32 keep-alive connections, so steering is
paid once per connection and the figure shows that nothing is in the path
afterwards. Rounds alternate between the three; the median is reported, with
ratios to plain, and socketbox's cost per connection (1/rate - 1/plain).
Report on stdout, in OUT/tcp.md and OUT/tcp.json. Everything made is removed.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))
import lab as L  # noqa: E402

LISTEN_PFX, BOX_PFX = "2001:db8:1:a::/64", "2001:db8:1:b::/64"
ADDRS = {"plain": L.HOST_LAN, "listen": "2001:db8:1:a::80", "socketbox": "2001:db8:1:b::80"}
MODES = ("plain", "listen", "socketbox")
TARGET_LISTEN = 0.9


def log(text):
    print("bench-tcp: %s" % text, file=sys.stderr, flush=True)


def conns_per_s(client, tcpbench, addr, seconds):
    out = L.sh("nsenter", "--net=" + client.path, tcpbench, "load", "-c", "32", "-s",
               str(seconds), addr, "80", timeout=seconds + 60).stdout
    res = json.loads(out)
    if res["failed"] or res["reset"] or res["refused"]:
        raise RuntimeError("%s: connections lost: %s" % (addr, res))
    return res["per_second"]


def requests_per_s(client, addr, seconds):
    out = L.sh("nsenter", "--net=" + client.path, "wrk", "-t1", "-c32", "-d%ds" % seconds,
               "http://[%s]:80/" % addr, timeout=seconds + 60).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m or "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError("wrk against %s: %s" % (addr, out))
    return float(m.group(1))


def setup(lab, tcpbench):
    client, router, host = L.lan_topology(lab)
    host.sysctl("net.unix.max_dgram_qlen", "1024")
    sock = os.path.join(lab.tmp, "box.sock")
    conf = (L.DEMO_APPS + L.tcp_app("listen", LISTEN_PFX, "listen", exec=tcpbench + " serve --listen-fds") +
            L.tcp_app("box", BOX_PFX, "socketbox:" + sock))
    lab.thingsd(host, conf)
    procs = []
    for args in (("--bind", L.HOST_LAN, "80"), ("--socketbox", sock)):
        p = host.popen(tcpbench, "serve", *args, stdout=subprocess.PIPE, text=True)
        procs.append(p)
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError("tcpbench serve %s did not start" % " ".join(args))

    def stop():
        for p in procs:
            p.kill()
            p.wait()
    lab.undo.append(stop)
    deadline = time.time() + 10
    while time.time() < deadline:
        if all(client.run("curl", "-6", "-s", "--max-time", "2", "http://[%s]/" % a,
                          check=False).returncode == 0 for a in ADDRS.values()):
            return client
        time.sleep(0.2)
    raise RuntimeError("not every server answers")


def median(xs):
    return statistics.median(xs) if xs else 0.0


def report(results, args):
    s = {m: {k: median(results[m][k]) for k in ("conns", "reqs")} for m in MODES}
    rows = []

    def paired(m, key, fn):
        # Each round measures the modes one after another: a ratio within a
        # round is less at the mercy of a noisy host than one of medians.
        vals = [fn(x, p) for x, p in zip(results[m][key], results["plain"][key]) if x and p]
        return median(vals) if vals else None
    for m in MODES:
        rows.append({
            "mode": m, "conns_per_s": s[m]["conns"], "reqs_per_s": s[m]["reqs"],
            "conns_ratio": paired(m, "conns", lambda x, p: x / p),
            "reqs_ratio": paired(m, "reqs", lambda x, p: x / p),
            "cost_us": paired(m, "conns", lambda x, p: 1e6 / x - 1e6 / p),
            "conns_rounds": results[m]["conns"], "reqs_rounds": results[m]["reqs"],
        })
    lr = rows[1]["conns_ratio"] or 0
    lines = [
        "Linux %s, %d CPUs, %s. Median of %d rounds of %d s each, modes in turn (each round starting with the next); "
        "ratios and costs are medians of each round's own. Client and server in network "
        "namespaces joined by a bridge." % (
            os.uname().release, os.cpu_count(), time.strftime("%Y-%m-%d"), args.rounds,
            args.seconds),
        "",
        "| path | connections/s | ÷ plain | requests/s (keep-alive) | ÷ plain | "
        "cost per connection over plain |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    labels = {"plain": "plain server bound to the address (floor)",
              "listen": "`listen`: sk_lookup to the server's socket",
              "socketbox": "`socketbox`: thingsd accepts, passes the descriptor"}
    for row in rows:
        lines.append("| %s | %.0f | %s | %.0f | %s | %s |" % (
            labels[row["mode"]], row["conns_per_s"],
            "%.2f" % row["conns_ratio"] if row["conns_ratio"] else "",
            row["reqs_per_s"], "%.2f" % row["reqs_ratio"] if row["reqs_ratio"] else "",
            "%+.1f us" % row["cost_us"] if row["mode"] != "plain" and row["cost_us"] is not None
            else ""))
    lines += ["", "Target: `listen` >= %.1fx the plain server's connections/s: %s (%.2fx)." % (
        TARGET_LISTEN, "met" if lr >= TARGET_LISTEN else "not met", lr)]
    return "\n".join(lines) + "\n", {"rows": rows, "target_listen": TARGET_LISTEN,
                                     "listen_ratio": lr, "met": lr >= TARGET_LISTEN}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=L.BUILD)
    ap.add_argument("--out", default=None, help="report folder (default BUILD/bench)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=2)
    ap.add_argument("--smoke", action="store_true", help="1 round of 1 s: checks it runs")
    args = ap.parse_args()
    if args.smoke:
        args.rounds, args.seconds = 1, 1
    tcpbench = os.path.join(args.build, "bench", "tcpbench")
    out_dir = args.out or os.path.join(args.build, "bench")
    os.makedirs(out_dir, exist_ok=True)
    results = {m: {"conns": [], "reqs": []} for m in MODES}
    with L.Lab("btcp") as lab:
        client = setup(lab, tcpbench)
        for r in range(args.rounds):
            # Each round starts with another mode, so no mode always runs
            # on the heels of the same other one.
            for m in MODES[r % 3:] + MODES[:r % 3]:
                results[m]["conns"].append(conns_per_s(client, tcpbench, ADDRS[m], args.seconds))
                results[m]["reqs"].append(requests_per_s(client, ADDRS[m], args.seconds))
                log("round %d %s: %.0f conn/s, %.0f req/s" % (
                    r + 1, m, results[m]["conns"][-1], results[m]["reqs"][-1]))
        made = {"netns": [ns for ns in L.sh("ip", "netns", "list").stdout.split()
                          if lab.suffix in ns], "tmp": lab.tmp}
    text, data = report(results, args)
    data["removed"] = made
    sys.stdout.write(text)
    with open(os.path.join(out_dir, "tcp.md"), "w") as f:
        f.write(text)
    with open(os.path.join(out_dir, "tcp.json"), "w") as f:
        json.dump(data, f, indent=1)


if __name__ == "__main__":
    main()
