#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""make bench (relay part): one large transfer (GB/s) and new connections
per second to one backend, reached three ways in one run, on the topology
of bench/tcp.py:

  direct  the client talks to the backend on the host's own IPv6 address:
          no relay, the floor;
  relay   a `relay:127.0.0.1:PORT` app: thingsd's relay worker splices
          between the client and the backend on IPv4 loopback;
  socat   socat listening on the host's address, forking per connection
          and copying to the same backend in user space.

Throughput: `tcpbench blast` sends BYTES to `tcpbench sink`, timed until the
sink has counted them all. Connections/s: `tcpbench load`, 32 at a time, one
short HTTP request each, to `tcpbench serve`. Also connections/s of an
`inetd:` app running `tcpbench serve --stdio` per connection. Rounds
alternate the modes; medians, and ratios to direct within each round.
Report on stdout, in OUT/relay.md and OUT/relay.json. Everything made is
removed.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
import lab as L  # noqa: E402
from tcp import (conns_per_s, lab_made, log, median, start_all, wait_answering,  # noqa: E402
                 write_report)

SERVE, SINK = 9000, 9100
RELAY_CONN, RELAY_BULK, INETD = "2001:db8:1:a::1", "2001:db8:1:b::1", "2001:db8:1:c::1"
MODES = ("direct", "relay", "socat")
CONN_AT = {"direct": (L.HOST_LAN, SERVE), "relay": (RELAY_CONN, 80),
           "socat": (L.HOST_LAN, SERVE + 1), "inetd": (INETD, 80)}
BULK_AT = {"direct": (L.HOST_LAN, SINK), "relay": (RELAY_BULK, 80), "socat": (L.HOST_LAN, SINK + 1)}
TARGET = 0.8


def gbytes_per_s(client, tcpbench, at, count):
    out = L.sh("nsenter", "--net=" + client.path, tcpbench, "blast", str(count), at[0],
               str(at[1]), timeout=600).stdout
    return json.loads(out)["gbytes_per_s"]


def setup(lab, tcpbench):
    client, router, host = L.lan_topology(lab)
    conf = (L.DEMO_APPS +
            L.tcp_app("conns", RELAY_CONN + "/128", "relay:127.0.0.1:%d" % SERVE) +
            L.tcp_app("bulk", RELAY_BULK + "/128", "relay:127.0.0.1:%d" % SINK) +
            L.tcp_app("inetd", INETD + "/128", "inetd:%s serve --stdio" % tcpbench,
                      max_children="256"))
    lab.thingsd(host, conf)
    start_all(lab, host, [
        ((tcpbench, "serve", "--bind", "::", str(SERVE)), True),
        ((tcpbench, "sink", "::", str(SINK)), True),
        (("socat", "TCP6-LISTEN:%d,bind=[%s],reuseaddr,fork,backlog=4096" % (SERVE + 1, L.HOST_LAN),
          "TCP4:127.0.0.1:%d" % SERVE), False),
        (("socat", "TCP6-LISTEN:%d,bind=[%s],reuseaddr,fork" % (SINK + 1, L.HOST_LAN),
          "TCP4:127.0.0.1:%d" % SINK), False)])
    wait_answering(client, ["http://[%s]:%d/" % at for at in CONN_AT.values()])
    return client


def report(res, args):
    def paired(m, key):
        vals = [x / d for x, d in zip(res[m][key], res["direct"][key]) if x and d]
        return median(vals) if vals else None
    rows = []
    for m in MODES + ("inetd",):
        rows.append({"mode": m, "gbytes_per_s": median(res[m]["gbs"]) if res[m]["gbs"] else None,
                     "conns_per_s": median(res[m]["conns"]),
                     "gbs_ratio": paired(m, "gbs") if m != "inetd" else None,
                     "conns_ratio": paired(m, "conns"),
                     "gbs_rounds": res[m]["gbs"], "conns_rounds": res[m]["conns"]})
    by = {r["mode"]: r for r in rows}
    ratio = by["relay"]["gbs_ratio"] or 0
    ahead = (by["relay"]["gbytes_per_s"] or 0) > (by["socat"]["gbytes_per_s"] or 0)
    labels = {"direct": "direct: the backend on the host's IPv6 address (floor)",
              "relay": "`relay:127.0.0.1:PORT`: splice in thingsd's worker",
              "socat": "socat, fork per connection, copy in user space",
              "inetd": "`inetd:`: a process per connection"}
    lines = [
        "Linux %s, %d CPUs, %s. Median of %d rounds, modes in turn; ratios are medians of "
        "each round's own. One transfer of %d MiB per round and mode; connections: %d s "
        "each, 32 at a time. Client and host in network namespaces joined by a bridge." % (
            os.uname().release, os.cpu_count(), time.strftime("%Y-%m-%d"), args.rounds,
            args.bytes >> 20, args.seconds),
        "",
        "| path | GB/s (one transfer) | ÷ direct | connections/s | ÷ direct |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append("| %s | %s | %s | %.0f | %s |" % (
            labels[r["mode"]], "%.2f" % r["gbytes_per_s"] if r["gbytes_per_s"] else "",
            "%.2f" % r["gbs_ratio"] if r["gbs_ratio"] else "", r["conns_per_s"],
            "%.2f" % r["conns_ratio"] if r["conns_ratio"] else ""))
    met = ratio >= TARGET and ahead
    lines += ["", "Target: relay >= %.1fx direct throughput and ahead of socat: %s "
              "(%.2fx direct; %s socat)." % (TARGET, "met" if met else "not met", ratio,
                                             "ahead of" if ahead else "behind")]
    return "\n".join(lines) + "\n", {"rows": rows, "target": TARGET, "relay_ratio": ratio,
                                     "ahead_of_socat": ahead, "met": met}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=L.BUILD)
    ap.add_argument("--out", default=None, help="report folder (default BUILD/bench)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=2)
    ap.add_argument("--bytes", type=int, default=1 << 30)
    ap.add_argument("--smoke", action="store_true", help="1 round, 1 s, 64 MiB: checks it runs")
    args = ap.parse_args()
    if args.smoke:
        args.rounds, args.seconds, args.bytes = 1, 1, 64 << 20
    tcpbench = os.path.join(args.build, "bench", "tcpbench")
    out_dir = args.out or os.path.join(args.build, "bench")
    os.makedirs(out_dir, exist_ok=True)
    res = {m: {"gbs": [], "conns": []} for m in MODES + ("inetd",)}
    with L.Lab("brelay") as lab:
        client = setup(lab, tcpbench)
        for r in range(args.rounds):
            for m in MODES[r % 3:] + MODES[:r % 3]:
                res[m]["gbs"].append(gbytes_per_s(client, tcpbench, BULK_AT[m], args.bytes))
                res[m]["conns"].append(conns_per_s(client, tcpbench, CONN_AT[m][0], args.seconds,
                                                   CONN_AT[m][1]))
                log("round %d %s: %.2f GB/s, %.0f conn/s" % (r + 1, m, res[m]["gbs"][-1],
                                                            res[m]["conns"][-1]))
            res["inetd"]["conns"].append(conns_per_s(client, tcpbench, INETD, args.seconds))
            log("round %d inetd: %.0f conn/s" % (r + 1, res["inetd"]["conns"][-1]))
        made = lab_made(lab)
    write_report(out_dir, "relay", *report(res, args), made)


if __name__ == "__main__":
    main()
