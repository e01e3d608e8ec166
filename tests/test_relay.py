"""relay: targets: an IPv6 face for servers that only listen on IPv4 (or
anywhere else), judged by real backends: nginx bound to 127.0.0.1, with and
without the PROXY protocol, and HAProxy's accept-proxy as a second reader
of the header; byte streams checked by SHA-256 on both ends."""
import json
import os
import pwd
import subprocess

import pytest

import lab as L
from test_tcp import Servers, bench_smoke, tcp_apps, curl
from lab import fd_count, proc_status, rss_kb, steady_fd_count, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

BULK = os.path.join(L.REPO, "tests", "helpers", "bulk.py")
TCPBENCH = os.path.join(L.BUILD, "bench", "tcpbench")
BASE = L.DEMO_APPS

NGINX_CONF = """daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    log_format pp '$proxy_protocol_addr $remote_addr "$request"';
    server {{
        listen 127.0.0.1:8081;
        access_log {tmp}/plain.log pp;
        root {tmp}/www;
    }}
    server {{
        listen 127.0.0.1:8082 proxy_protocol;
        access_log {tmp}/proxied.log pp;
        location / {{ return 200 "client=$proxy_protocol_addr port=$proxy_protocol_port\\n"; }}
    }}
}}
"""

HAPROXY_CONF = """defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:8083 accept-proxy
    http-request return status 200 content-type text/plain lf-string "client=%[src] dst=%[dst]\\n"
"""


def listening(ns, addr, port):
    res = ns.run("python3", "-c", "import socket,sys; socket.create_connection((sys.argv[1], "
                 "int(sys.argv[2])), timeout=1)", addr, str(port), check=False)
    return res.returncode == 0


@pytest.fixture
def relay_lab():
    with L.Lab("relay") as lab:
        client, router, host = L.lan_topology(lab)
        yield lab, client, host, Servers(lab)


def start_nginx(lab, host, procs):
    os.makedirs(os.path.join(lab.tmp, "www"))
    with open(os.path.join(lab.tmp, "www", "index.html"), "w") as f:
        f.write("legacy page\n")
    conf = os.path.join(lab.tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(tmp=lab.tmp))
    procs.start(host, "nginx", "-e", os.path.join(lab.tmp, "nginx-error.log"), "-p", lab.tmp,
                "-c", conf, ready=None)
    wait_for(lambda: listening(host, "127.0.0.1", 8081) and listening(host, "127.0.0.1", 8082),
             what=lambda: open(lab.tmp + "/nginx-error.log").read())


def test_nginx_on_ipv4_loopback_gets_the_ipv6_client(relay_lab):
    lab, client, host, procs = relay_lab
    start_nginx(lab, host, procs)
    d = lab.thingsd(host, BASE +
                    L.tcp_app("web", "2001:db8:1:a::/64", "relay:127.0.0.1:8081") +
                    L.tcp_app("pp1", "2001:db8:1:b::/64", "relay:127.0.0.1:8082",
                              proxy_protocol="v1") +
                    L.tcp_app("pp2", "2001:db8:1:c::/64", "relay:127.0.0.1:8082",
                              proxy_protocol="v2"))
    # The page of a server that has no IPv6 at all.
    assert wait_for(lambda: curl(client, "2001:db8:1:a::80").stdout == "legacy page\n")
    # Without a header nginx sees the relay: 127.0.0.1.
    with open(os.path.join(lab.tmp, "plain.log")) as f:
        assert f.read().split()[1] == "127.0.0.1"
    # With one, nginx's own parser finds the client, in either version.
    for addr in ("2001:db8:1:b::1", "2001:db8:1:c::1"):
        res = curl(client, addr)
        assert res.returncode == 0, res.stderr
        assert res.stdout.startswith("client=%s port=" % L.CLIENT_LAN), res.stdout
    with open(os.path.join(lab.tmp, "proxied.log")) as f:
        logged = [line.split()[0] for line in f]
    assert logged == [L.CLIENT_LAN, L.CLIENT_LAN], logged
    apps = tcp_apps(d)
    assert apps["pp1"]["proxy_protocol"] == "v1" and apps["pp2"]["proxy_protocol"] == "v2"
    assert apps["web"]["backend"] == "127.0.0.1:8081"
    # Counters reach the map within a flush interval; the worker flushes
    # whenever it goes idle.
    assert wait_for(lambda: tcp_apps(d)["pp1"]["active"] == 0 and
                    tcp_apps(d)["pp1"]["passed"] == 1)
    pp1 = tcp_apps(d)["pp1"]
    assert pp1["accepted"] == 1 and pp1["failed"] == pp1["refused"] == 0, pp1
    # Both ways counted: the request in, nginx's answer (headers too) out.
    assert pp1["bytes_in"] > 50 and pp1["bytes_out"] > len("client=") + len(L.CLIENT_LAN)
    text = d.ctl("tcp", "list").stdout
    assert "relay:127.0.0.1:8082 proxy v1" in text, text
    stats = d.ctl("tcp", "stats").stdout
    assert "BYTES-IN" in stats and "pp2" in stats, stats
    # Every worker is nobody, with no capability and no way to gain one; it
    # still writes its counters (checked above) through its descriptor.
    nobody = pwd.getpwnam("nobody")
    for app in ("web", "pp1", "pp2"):
        st = proc_status(apps[app]["server_pid"])
        assert st["Uid"].split() == [str(nobody.pw_uid)] * 4, (app, st["Uid"])
        assert st["Gid"].split() == [str(nobody.pw_gid)] * 4, (app, st["Gid"])
        assert st.get("Groups", "").strip() == "", (app, st["Groups"])
        assert [int(st[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapAmb")] == [0] * 4, \
            (app, st)
        assert st["NoNewPrivs"] == "1", (app, st["NoNewPrivs"])


def test_haproxy_accept_proxy_reads_both_versions(relay_lab):
    lab, client, host, procs = relay_lab
    conf = os.path.join(lab.tmp, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write(HAPROXY_CONF)
    procs.start(host, "haproxy", "-db", "-f", conf, ready=None)
    assert wait_for(lambda: listening(host, "127.0.0.1", 8083))
    lab.thingsd(host, BASE +
                L.tcp_app("v1", "2001:db8:1:b::/64", "relay:127.0.0.1:8083", "80, 8080",
                          proxy_protocol="v1") +
                L.tcp_app("v2", "2001:db8:1:c::/64", "relay:127.0.0.1:8083", "80, 8080",
                          proxy_protocol="v2"))
    for addr in ("2001:db8:1:b::1", "2001:db8:1:c:1:2:3:4"):
        for port in (80, 8080):
            res = curl(client, addr, port)
            assert res.returncode == 0, res.stderr
            # The client's address, and the one it dialled as the destination.
            assert res.stdout.split() == ["client=" + L.CLIENT_LAN, "dst=" + addr], res.stdout


def bulk_send(client, addr, port, count, reply, timeout=120):
    out = L.sh("nsenter", "--net=" + client.path, "python3", BULK, "send", addr, str(port),
               str(count), str(reply), timeout=timeout).stdout
    return json.loads(out)


def test_half_close_both_ways_and_a_backend_that_is_down(relay_lab):
    lab, client, host, procs = relay_lab
    procs.start(host, "python3", BULK, "sink", "127.0.0.1", "9000", str(4 << 20))
    d = lab.thingsd(host, BASE + L.tcp_app("sink", "2001:db8:1:a::/64", "relay:127.0.0.1:9000") +
                    L.tcp_app("down", "2001:db8:1:d::/64", "relay:127.0.0.1:9009"))
    # The sink answers only after end of stream: the client's shutdown
    # must reach it through the relay, and its whole answer come back
    # after that, followed by its own end.
    res = bulk_send(client, "2001:db8:1:a::1", 80, 300000, 4 << 20)
    assert res["server_got"] == 300000 and res["server_sha256"] == res["sha256"], res
    assert res["reply_bytes"] == 4 << 20 and res["reply_ok"], res
    # Nobody listens behind "down": the client learns it at once, as a reset.
    # (The reset may even beat connect() back to the client.)
    probe = """
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], 80), timeout=10)
    print(repr(c.recv(10)))
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("timeout")
"""
    out = client.run("python3", "-c", probe, "2001:db8:1:d::1").stdout.strip()
    assert out == "reset", out
    assert wait_for(lambda: tcp_apps(d)["down"]["failed"] == 1)
    down = tcp_apps(d)["down"]
    assert down["accepted"] == 1 and down["passed"] == 0 and down["active"] == 0, down
    sink = tcp_apps(d)["sink"]
    assert sink["bytes_in"] == 300000 and sink["failed"] == 0, sink
    assert sink["bytes_out"] == (4 << 20) + len("300000 %s\n" % res["sha256"]), sink


def test_limits_and_timeouts(relay_lab):
    lab, client, host, procs = relay_lab
    procs.start(host, "python3", BULK, "sink", "127.0.0.1", "9000", "0")
    procs.start(host, "python3", BULK, "hold", "127.0.0.1", "9001", "0")
    d = lab.thingsd(host, BASE +
                    L.tcp_app("two", "2001:db8:1:a::/64", "relay:127.0.0.1:9000",
                              max_connections="2", idle_timeout="1") +
                    L.tcp_app("slow", "2001:db8:1:e::/64", "relay:127.0.0.1:9001",
                              connect_timeout="1"))
    script = """
import socket, sys, time
held = []
for _ in range(3):
    try:
        held.append(socket.create_connection((sys.argv[1], 80), timeout=10))
    except ConnectionResetError:    # reset before connect() returned
        held.append(None)
out = []
for c in held:
    try:
        out.append("reset" if c is None else "eof" if c.recv(10) == b"" else "data")
    except ConnectionResetError:
        out.append("reset")
print(" ".join(out))
"""
    # Two at a time: the third is reset at once; the two held ones, silent
    # both ways, end after idle_timeout with an orderly close.
    out = client.run("python3", "-c", script, "2001:db8:1:a::1", timeout=30).stdout.split()
    assert sorted(out) == ["eof", "eof", "reset"], out
    assert wait_for(lambda: tcp_apps(d)["two"]["active"] == 0)
    two = tcp_apps(d)["two"]
    assert two["refused"] == 1 and two["timed_out"] == 2 and two["passed"] == 2, two
    # A backend that never answers the SYN: given up after connect_timeout.
    out = client.run("python3", "-c", script.replace("range(3)", "range(1)"),
                     "2001:db8:1:e::1", timeout=30).stdout.split()
    assert out == ["reset"], out
    assert wait_for(lambda: tcp_apps(d)["slow"]["timed_out"] == 1)
    assert tcp_apps(d)["slow"]["failed"] == 1


def test_ten_thousand_connections_and_a_gibibyte(relay_lab):
    lab, client, host, procs = relay_lab
    procs.start(host, TCPBENCH, "serve", "--bind", "::", "9000")
    procs.start(host, "python3", BULK, "sink", "127.0.0.1", "9001", "0")
    d = lab.thingsd(host, BASE + L.tcp_app("bench", "2001:db8:1:a::/64", "relay:127.0.0.1:9000") +
                    L.tcp_app("bulk", "2001:db8:1:b::/64", "relay:127.0.0.1:9001"))
    assert wait_for(lambda: curl(client, "2001:db8:1:a::1").returncode == 0)
    worker = tcp_apps(d)["bench"]["server_pid"]

    def load(n):
        out = L.sh("nsenter", "--net=" + client.path, TCPBENCH, "load", "-n", str(n), "-c", "16",
                   "2001:db8:1:a::1", "80", "2001:db8:1:a::2", "80", timeout=300).stdout
        res = json.loads(out)
        assert res["ok"] == n and res["failed"] == res["reset"] == res["refused"] == 0, res
    # A first round warms the worker's pools; then 10,000 more must leave
    # its descriptors as they were and its memory within a page or two.
    load(1000)
    assert wait_for(lambda: tcp_apps(d)["bench"]["active"] == 0)
    before = (steady_fd_count(d.proc.pid), steady_fd_count(worker), rss_kb(d.proc.pid),
              rss_kb(worker))
    load(10000)
    assert wait_for(lambda: tcp_apps(d)["bench"]["active"] == 0)
    # A control connection thingsd has just answered may still be open for
    # a moment: the count must come back, not be back at once.
    wait_for(lambda: (fd_count(d.proc.pid), fd_count(worker)) == before[:2],
             what="descriptors back to %s" % (before[:2],))
    after = (fd_count(d.proc.pid), fd_count(worker), rss_kb(d.proc.pid), rss_kb(worker))
    # AddressSanitizer's quarantine keeps freed memory resident.
    assert L.SANITIZE or (after[2] - before[2] <= 64 and after[3] - before[3] <= 64), \
        (before, after)
    bench = tcp_apps(d)["bench"]
    assert bench["passed"] >= 11001 and bench["failed"] == 0, bench

    bulk = tcp_apps(d)["bulk"]["server_pid"]
    # Warmed by a small transfer first, as the other worker was.
    assert bulk_send(client, "2001:db8:1:b::1", 80, 1 << 20, 0)["server_got"] == 1 << 20
    assert wait_for(lambda: tcp_apps(d)["bulk"]["active"] == 0)
    idle = (steady_fd_count(bulk), rss_kb(bulk))
    res = bulk_send(client, "2001:db8:1:b::1", 80, 1 << 30, 0, timeout=300)
    assert res["server_got"] == 1 << 30 and res["server_sha256"] == res["sha256"], res
    assert wait_for(lambda: tcp_apps(d)["bulk"]["bytes_in"] == (1 << 30) + (1 << 20))
    assert wait_for(lambda: fd_count(bulk) == idle[0])
    # The bytes went through the kernel's pipes, never the worker's memory.
    assert L.SANITIZE or rss_kb(bulk) - idle[1] <= 64, (idle, rss_kb(bulk))
    assert wait_for(lambda: fd_count(d.proc.pid) == before[0])


def test_config_keys_of_inetd_and_relay(relay_lab):
    lab, client, host, procs = relay_lab
    path = os.path.join(lab.tmp, "check.conf")
    head = "[app r]\nkind = tcp\nprefix = 2001:db8:1::/48\nports = 80\n"

    def check(body):
        with open(path, "w") as f:
            f.write(head + body)
        return L.sh(L.THINGSD, "--check", path, check=False)

    for good in ("target = relay:127.0.0.1:8080\nproxy_protocol = v2\nmax_connections = 10\n"
                 "connect_timeout = 2\nidle_timeout = 0\n",
                 "target = relay:[2001:db8:ff::2]:80\n",
                 "target = relay:localhost:80\n",
                 "target = inetd:busybox httpd -i\nmax_children = 5\ntimeout = 60\nuser = nobody\n"):
        res = check(good)
        assert res.returncode == 0, good + res.stderr
    for bad, line, why in (
            ("target = relay:2001:db8::1:80\n", 5, "[ADDRESS]:PORT"),
            ("target = relay:127.0.0.1\n", 5, "relay:HOST:PORT"),
            ("target = relay:127.0.0.1:0\n", 5, "PORT 1 to 65535"),
            ("target = relay:no-such-host.invalid:80\n", 5, "cannot resolve"),
            ("target = relay:127.0.0.1:80\nproxy_protocol = v3\n", 6, "v1, v2 or none"),
            ("target = relay:127.0.0.1:80\nmax_children = 4\n", 6, "inetd: targets only"),
            ("target = relay:127.0.0.1:80\nuser = nobody\n", 6, "inetd: target"),
            ("target = inetd:sh\nproxy_protocol = v1\n", 6, "relay: targets only"),
            ("target = inetd:sh\nmax_children = 0\n", 6, "from 1 to 4096"),
            ("target = inetd:\n", 5, "empty"),
            ("target = listen\nidle_timeout = 5\n", 6, "relay: targets only")):
        res = check(bad)
        assert res.returncode == 2 and "check.conf:%d:" % line in res.stderr and why in res.stderr, \
            (bad, res.stderr)

    # A runtime app with every relay key, written to the state dir and
    # read back the same by a restarted thingsd.
    d = lab.thingsd(host, BASE)
    d.ctl("app", "add", "rt", "kind", "tcp", "prefix", "2001:db8:1:7::/64", "ports", "80",
          "target", "relay:127.0.0.1:9000", "proxy_protocol", "v1", "max_connections", "7",
          "connect_timeout", "3", "idle_timeout", "0")
    d.stop()
    d.start()
    rt = tcp_apps(d)["rt"]
    assert (rt["backend"], rt["proxy_protocol"], rt["max_connections"], rt["connect_timeout"],
            rt["idle_timeout"]) == ("127.0.0.1:9000", "v1", 7, 3, 0), rt


def test_relay_bench_smoke(tmp_path):
    """bench/relay.py runs through once and leaves nothing behind; how fast
    anything was is not the question here."""
    report = bench_smoke("relay", tmp_path)
    assert [r["mode"] for r in report["rows"]] == ["direct", "relay", "socat", "inetd"]
    assert all(r["conns_per_s"] > 0 for r in report["rows"])
    assert all(r["gbytes_per_s"] > 0 for r in report["rows"][:3])


def test_keep_leaves_the_worker_and_its_connections_to_the_next_thingsd(relay_lab):
    lab, client, host, procs = relay_lab
    procs.start(host, "python3", BULK, "sink", "127.0.0.1", "9000", "0")
    d = lab.thingsd(host, BASE + L.tcp_app("sink", "2001:db8:1:a::/64", "relay:127.0.0.1:9000"),
                    args=("--keep",))
    worker = tcp_apps(d)["sink"]["server_pid"]
    # A transfer that is under way while thingsd stops and starts again.
    script = """
import socket, sys
c = socket.create_connection((sys.argv[1], 80), timeout=30)
c.sendall(b"x" * 1000)
print("sent", flush=True)
sys.stdin.readline()
c.sendall(b"y" * 1000)
c.shutdown(socket.SHUT_WR)
print(c.recv(100).decode().split()[0], flush=True)
"""
    p = client.popen("python3", "-c", script, "2001:db8:1:a::1", stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "sent"
    d.stop()
    d.start()
    assert tcp_apps(d)["sink"]["server_pid"] == worker
    assert "adopted" in d.read_log()
    out, _ = p.communicate("go\n", timeout=30)
    assert out.strip() == "2000", out
    # Without --keep the worker goes with thingsd (an adopted one is not
    # thingsd's child: whoever inherited it reaps it).
    d.stop()
    assert wait_for(lambda: ended(worker))


def ended(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
