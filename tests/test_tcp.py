"""TCP for every address: sk_lookup steering to listening sockets (target
listen, servers run by thingsd or registered with thingsctl) and socketbox
descriptor passing, judged by real clients (curl, a C client) and by what
the servers themselves see (getsockname, getpeername)."""
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

import lab as L
from lab import wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

TCPBENCH = os.path.join(L.BUILD, "bench", "tcpbench")
A = "2001:db8:1:a::/64"
B = "2001:db8:1:b::/64"

# A server in a few lines: its socket from systemd's LISTEN_FDS, or its own,
# handed to thingsd with `thingsctl tcp register`. It names itself and the
# addresses it sees in every answer.
SERVER = r'''
import os, socket, subprocess, sys
mode, name = sys.argv[1], sys.argv[2]
if mode == "fds":
    assert os.environ["LISTEN_PID"] == str(os.getpid()), "LISTEN_PID"
    assert os.environ["LISTEN_FDS"] == "1" and os.environ["LISTEN_FDNAMES"] == name
    ls = socket.socket(fileno=3)
else:
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.bind(("::1", 0))
    ls.listen(128)
    subprocess.run(sys.argv[3:] + ["--fd", str(ls.fileno()), "tcp", "register", name],
                   pass_fds=(ls.fileno(),), check=True)
print("ready", flush=True)
while True:
    c, peer = ls.accept()
    local = c.getsockname()
    c.recv(4096)
    body = "%s local=[%s]:%d peer=[%s]:%d uid=%d gid=%d\n" % (
        name, local[0], local[1], peer[0], peer[1], os.getuid(), os.getgid())
    c.sendall(("HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)).encode())
    c.close()
'''

BASE = L.DEMO_APPS


def curl(ns, addr, port=80):
    return ns.run("curl", "-6", "-s", "-S", "--max-time", "5", "http://[%s]:%d/" % (addr, port),
                  check=False, timeout=15)


REFUSED_PROBE = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)
"""


def refused(ns, addr, port=80):
    """The kernel's word: the SYN was answered with an RST (a timeout is
    another exception, a served connection exit 1)."""
    return ns.run("python3", "-c", REFUSED_PROBE, addr, str(port), check=False).returncode == 0


def tcp_apps(d):
    return {a["name"]: a for a in d.ctl_json("tcp", "list")}


class Servers:
    """Processes a test starts; killed at the end."""

    def __init__(self, lab):
        self.lab, self.procs = lab, []
        self.script = os.path.join(lab.tmp, "server.py")
        with open(self.script, "w") as f:
            f.write(SERVER)
        lab.undo.append(self.close)

    def start(self, ns, *args, ready="ready"):
        """ready: the line the program prints once it serves; None: it
        prints none."""
        p = ns.popen(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.procs.append(p)
        if ready:
            line = p.stdout.readline()
            assert line.strip() == ready, line + (p.stdout.read() if p.poll() is not None else "")
        return p

    def register(self, ns, d, name):
        return self.start(ns, "python3", self.script, "register", name, L.THINGSCTL,
                          "--run-dir", d.run_dir)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.fixture
def tcp_lab():
    with L.Lab("tcp") as lab:
        client, router, host = L.lan_topology(lab)
        # socketbox receivers' queues: deeper than the clients' concurrency,
        # or a burst overflows them (counted as refused, as it must be).
        host.sysctl("net.unix.max_dgram_qlen", "1024")
        yield lab, client, host, Servers(lab)


def test_two_listen_servers_get_their_own_connections(tcp_lab):
    lab, client, host, srv = tcp_lab
    d = lab.thingsd(host, BASE + L.tcp_app("www-a", A, "listen") + L.tcp_app("www-b", B, "listen"))
    srv.register(host, d, "www-a")
    srv.register(host, d, "www-b")
    for name, addr in (("www-a", "2001:db8:1:a::1"), ("www-a", "2001:db8:1:a:1:2:3:4"),
                       ("www-b", "2001:db8:1:b::5"), ("www-b", "2001:db8:1:b:ffff::")):
        res = curl(client, addr)
        assert res.returncode == 0, res.stderr
        # The server sees the address the client dialled and the client.
        got = res.stdout.split()
        assert got[0] == name, res.stdout
        assert got[1] == "local=[%s]:80" % addr, res.stdout
        assert got[2].startswith("peer=[%s]:" % L.CLIENT_LAN), res.stdout
    # The /48 is local (the echo app's route), but nobody owns these.
    assert refused(client, "2001:db8:1:c::1")
    assert refused(client, "2001:db8:1:a::1", 81)
    apps = tcp_apps(d)
    assert apps["www-a"]["passed"] == 2 and apps["www-b"]["passed"] == 2
    assert apps["www-a"]["socket"] and apps["www-a"]["refused"] == 0
    text = d.ctl("tcp", "list").stdout
    assert "www-a" in text and "2001:db8:1:a::/64" in text, text


def test_exec_register_kill_and_restart_with_keep(tcp_lab):
    lab, client, host, srv = tcp_lab
    d = lab.thingsd(host, BASE + L.tcp_app("run", A, "listen", exec="python3 %s fds run" % srv.script) +
                    L.tcp_app("reg", B, "listen"), args=("--keep",))
    assert wait_for(lambda: curl(client, "2001:db8:1:a::7").stdout.startswith("run local="))
    reg = srv.register(host, d, "reg")
    assert curl(client, "2001:db8:1:b::7").stdout.startswith("reg local=")

    # A connection loop runs while thingsd stops (--keep) and starts again:
    # every connection of it must be served.
    loop = client.popen(TCPBENCH, "load", "-c", "1", "-s", "4", "2001:db8:1:a::8", "80",
                        "2001:db8:1:b::8", "80", stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    pid = tcp_apps(d)["run"]["server_pid"]
    d.stop()
    time.sleep(1)
    d.start(("--keep",))
    out, _ = loop.communicate(timeout=30)
    res = json.loads(out)
    assert res["ok"] > 0 and res["refused"] == res["reset"] == res["failed"] == 0, res
    # The server the first thingsd started was adopted, not started twice.
    assert tcp_apps(d)["run"]["server_pid"] == pid
    assert "adopted" in d.read_log()

    # A registered server that exits frees its slot: refused at once.
    reg.kill()
    reg.wait()
    assert wait_for(lambda: refused(client, "2001:db8:1:b::7"))
    assert not tcp_apps(d)["reg"]["socket"]
    assert tcp_apps(d)["reg"]["refused"] >= 1
    # One started by thingsd is started again.
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: tcp_apps(d)["run"].get("server_pid") not in (None, pid))
    assert wait_for(lambda: curl(client, "2001:db8:1:a::7").stdout.startswith("run local="))


def socketbox_receiver(path, name, stop):
    """A receiver of socketbox's "A" protocol, from its description: a
    datagram of one byte, the connection in its one SCM_RIGHTS message."""
    box = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    box.bind(path)
    box.settimeout(0.2)

    def run():
        while not stop.is_set():
            try:
                msg, fds, flags, addr = socket.recv_fds(box, 1, 4)
            except socket.timeout:
                continue
            assert msg == b"\0" and len(fds) == 1, (msg, fds)
            with socket.socket(fileno=fds[0]) as c:
                local, peer = c.getsockname(), c.getpeername()
                c.recv(4096)
                body = "%s local=[%s]:%d peer=[%s]:%d\n" % (name, local[0], local[1], peer[0],
                                                            peer[1])
                c.sendall(("HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" %
                           (len(body), body)).encode())
        box.close()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_socketbox_receivers_get_connections_with_real_addresses(tcp_lab):
    lab, client, host, srv = tcp_lab
    tmp = lab.tmp
    d = lab.thingsd(host, BASE +
                    L.tcp_app("box", "2001:db8:1:5b::/64", "socketbox:%s/box.sock" % tmp, "8080") +
                    L.tcp_app("each", "2001:db8:1:5c::/64",
                              "socketbox:%s/each-#//7_-#//P_.sock" % tmp, "8080") +
                    L.tcp_app("dead", "2001:db8:1:5d::/64", "socketbox:%s/nobody.sock" % tmp,
                              "8080"))
    stop = threading.Event()
    lab.undo.append(stop.set)
    socketbox_receiver(tmp + "/box.sock", "box", stop)
    socketbox_receiver(tmp + "/each-00001-08080.sock", "one", stop)
    socketbox_receiver(tmp + "/each-00002-08080.sock", "two", stop)

    res = curl(client, "2001:db8:1:5b::42", 8080)
    assert res.returncode == 0, res.stderr
    got = res.stdout.split()
    assert got[:2] == ["box", "local=[2001:db8:1:5b::42]:8080"], res.stdout
    assert got[2].startswith("peer=[%s]:" % L.CLIENT_LAN)
    # #//7_ is the last group of the address: one receiver per address.
    assert curl(client, "2001:db8:1:5c::1", 8080).stdout.startswith("one local=[2001:db8:1:5c::1]")
    assert curl(client, "2001:db8:1:5c::2", 8080).stdout.startswith("two local=[2001:db8:1:5c::2]")
    # Nobody at that path: the connection is reset and counted; the other
    # rules go on.
    res = curl(client, "2001:db8:1:5d::1", 8080)
    assert res.returncode != 0
    assert curl(client, "2001:db8:1:5c::3", 8080).returncode != 0   # each-00003: nobody
    assert curl(client, "2001:db8:1:5b::43", 8080).stdout.startswith("box ")
    apps = tcp_apps(d)
    assert apps["dead"]["accepted"] == 1 and apps["dead"]["refused"] == 1
    assert apps["each"]["passed"] == 2 and apps["each"]["refused"] == 1
    assert apps["box"]["passed"] == 2 and apps["box"]["failed"] == 0
    stats = d.ctl("tcp", "stats").stdout
    assert "ACCEPTED" in stats and "dead" in stats, stats


def test_ten_thousand_connections_each_mode_and_no_leak(tcp_lab):
    lab, client, host, srv = tcp_lab
    sock = lab.tmp + "/bench.sock"
    d = lab.thingsd(host, BASE + L.tcp_app("run", A, "listen", exec=TCPBENCH + " serve --listen-fds") +
                    L.tcp_app("box", B, "socketbox:" + sock))
    srv.start(host, TCPBENCH, "serve", "--socketbox", sock)
    assert wait_for(lambda: curl(client, "2001:db8:1:a::1").returncode == 0)
    assert curl(client, "2001:db8:1:b::1").returncode == 0
    pid = d.proc.pid
    with open("/proc/%d/comm" % pid) as f:
        assert f.read().strip() == "thingsd"
    before = L.steady_fd_count(pid)
    for addr in ("2001:db8:1:a::1", "2001:db8:1:b::1"):
        out = L.sh("nsenter", "--net=" + client.path, TCPBENCH, "load", "-n", "10000", "-c", "16",
                   addr, "80", addr.replace("::1", "::2"), "80", timeout=120).stdout
        res = json.loads(out)
        assert res["ok"] == 10000 and res["failed"] == res["reset"] == res["refused"] == 0, res
    wait_for(lambda: L.fd_count(pid) == before, what="thingsd's descriptors back to %d" % before)
    apps = tcp_apps(d)
    assert apps["run"]["passed"] >= 10000 and apps["box"]["passed"] >= 10000


def test_accept_out_of_descriptors_backs_off(tcp_lab):
    lab, client, host, srv = tcp_lab
    sock = lab.tmp + "/bench.sock"
    d = lab.thingsd(host, BASE + L.tcp_app("box", B, "socketbox:" + sock))
    srv.start(host, TCPBENCH, "serve", "--socketbox", sock)
    assert curl(client, "2001:db8:1:b::1").returncode == 0
    pid = d.proc.pid
    fds = set(int(f) for f in os.listdir("/proc/%d/fd" % pid))
    n = min(set(range(len(fds) + 1)) - fds)
    # No descriptor left for accept(): thingsd must pause, not spin.
    # The soft limit only: lowering the hard one could not be undone.
    L.sh("prlimit", "--pid", str(pid), "--nofile=%d:" % n)
    loop = client.popen(TCPBENCH, "load", "-c", "4", "-n", "8", "2001:db8:1:b::1", "80",
                        stdout=subprocess.PIPE, text=True)
    time.sleep(2)
    log = d.read_log()
    pauses = log.count("accept: Too many open files")
    assert 1 <= pauses <= 20, pauses
    L.sh("prlimit", "--pid", str(pid), "--nofile=1024:")
    res = json.loads(loop.communicate(timeout=30)[0])
    assert res["ok"] == 8, res
    assert curl(client, "2001:db8:1:b::1").returncode == 0


def test_config_rules_ordering_and_targets(tcp_lab):
    lab, client, host, srv = tcp_lab
    path = os.path.join(lab.tmp, "check.conf")

    def check(body):
        with open(path, "w") as f:
            f.write(body)
        return L.sh(L.THINGSD, "--check", path, check=False)

    ok = """[app a]
kind = tcp
prefix = 2001:db8:1::/48
ports = 80, 443, 8000-8100
target = listen

[app b]
kind = tcp
prefix = 2001:db8:1::/48
ports = 8080
target = listen
from = 2001:db8:ff::/64
"""
    res = check(ok)
    assert res.returncode == 0, res.stderr
    res = check(ok.replace("from = 2001:db8:ff::/64\n", ""))
    assert res.returncode == 2 and "check.conf:10:" in res.stderr, res.stderr
    assert "neither can win" in res.stderr
    res = check(ok.replace("target = listen\nfrom", "target = inetd:/usr/sbin/sshd -i\nfrom"))
    assert res.returncode == 0, res.stderr
    res = check(ok.replace("target = listen\nfrom", "target = inetd:'/usr/sbin/sshd -i\nfrom"))
    assert res.returncode == 2 and "check.conf:11:" in res.stderr and "quote" in res.stderr
    res = check(ok.replace("ports = 8080", "ports = 8080, 8079-8081"))
    assert res.returncode == 2 and "listed twice" in res.stderr, res.stderr
    res = check(ok.replace("kind = tcp\nprefix = 2001:db8:1::/48\nports = 80, 443",
                           "kind = echo\nprefix = 2001:db8:1::/48\nports = 80, 443"))
    assert res.returncode == 2 and "ports does not apply to kind echo" in res.stderr
    res = check(ok + "user = nobody\n")
    assert res.returncode == 2 and "exec" in res.stderr


def test_from_picks_the_rule_and_runtime_apps(tcp_lab):
    lab, client, host, srv = tcp_lab
    d = lab.thingsd(host, BASE + L.tcp_app("all", "2001:db8:1:90::/60", "listen"))
    srv.register(host, d, "all")
    assert curl(client, "2001:db8:1:90::1").stdout.startswith("all ")
    # A rule for this client only, on the same prefix and port, added at
    # run time; the client's address decides.
    d.ctl("app", "add", "mine", "kind", "tcp", "prefix", "2001:db8:1:90::/60", "ports", "80",
          "target", "listen", "from", L.CLIENT_LAN + "/128")
    srv.register(host, d, "mine")
    assert curl(client, "2001:db8:1:90::1").stdout.startswith("mine ")
    # A plain restart: the runtime app comes back from the state dir, and the
    # socket its server registered is still in the pinned map.
    d.stop()
    d.start()
    assert curl(client, "2001:db8:1:90::1").stdout.startswith("mine ")
    client.ip("addr", "add", "2001:db8:ff::300/64", "dev", "c0", "nodad")
    res = client.run("curl", "-6", "-s", "--interface", "2001:db8:ff::300", "--max-time", "5",
                     "http://[2001:db8:1:90::1]/", check=False)
    assert res.stdout.startswith("all "), res.stdout + res.stderr
    # The same rule again cannot be ordered against it: refused, nothing changes.
    res = d.ctl("app", "add", "again", "kind", "tcp", "prefix", "2001:db8:1:90::/60", "ports",
                "80", "target", "listen", "from", L.CLIENT_LAN + "/128", check=False)
    assert res.returncode == 1 and "neither can win" in res.stderr, res.stderr
    d.ctl("app", "del", "mine")
    assert curl(client, "2001:db8:1:90::1").stdout.startswith("all ")


def bench_smoke(name, tmp_path):
    """Runs bench/NAME.py --smoke; checks it removed all it made and wrote
    what it printed. Returns its JSON report."""
    proc = subprocess.run(["/usr/bin/python3", os.path.join(L.REPO, "bench", name + ".py"),
                           "--smoke", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / (name + ".json")) as f:
        report = json.load(f)
    assert not set(report["removed"]["netns"]) & set(L.sh("ip", "netns", "list").stdout.split())
    assert not os.path.exists(report["removed"]["tmp"])
    with open(tmp_path / (name + ".md")) as f:
        assert f.read() == proc.stdout
    return report


def test_tcp_bench_smoke(tmp_path):
    """bench/tcp.py runs through once and leaves nothing behind; how fast
    anything was is not the question here."""
    report = bench_smoke("tcp", tmp_path)
    assert [r["mode"] for r in report["rows"]] == ["plain", "listen", "socketbox"]
    assert all(r["conns_per_s"] > 0 and r["reqs_per_s"] > 0 for r in report["rows"])


def test_reload_changes_ports_and_exec_runs_as_its_user(tcp_lab):
    lab, client, host, srv = tcp_lab
    os.chmod(lab.tmp, 0o755)    # the server script, for user nobody
    conf = BASE + L.tcp_app("run", A, "listen", exec="python3 %s fds run" % srv.script,
                            user="nobody", group="nogroup")
    d = lab.thingsd(host, conf)
    assert wait_for(lambda: curl(client, "2001:db8:1:a::1").returncode == 0)
    got = curl(client, "2001:db8:1:a::1").stdout.split()
    nobody = int(L.sh("id", "-u", "nobody").stdout)
    nogroup = int(L.sh("getent", "group", "nogroup").stdout.split(":")[2])
    assert got[3:] == ["uid=%d" % nobody, "gid=%d" % nogroup], got
    # SIGHUP: the app moves to other ports; the old one is refused at once.
    d.write_conf(conf.replace("ports = 80", "ports = 8080-8081"))
    pid = tcp_apps(d)["run"]["server_pid"]
    d.send_signal(signal.SIGHUP)
    assert wait_for(lambda: tcp_apps(d)["run"]["ports"] == "8080-8081")
    assert refused(client, "2001:db8:1:a::1", 80)
    assert curl(client, "2001:db8:1:a::1", 8081).stdout.startswith("run ")
    # Only the rule changed: the same server serves.
    assert tcp_apps(d)["run"]["server_pid"] == pid
