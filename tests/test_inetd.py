"""inetd: targets: a program per connection on stdin and stdout, judged by
Debian's busybox httpd -i and OpenSSH's sshd -i with real clients (curl,
ssh-keyscan), and by the kernel's view of thingsd's children."""
import os
import subprocess

import pytest

import lab as L
from lab import wait_for
from test_tcp import tcp_apps

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

BASE = L.DEMO_APPS
A = "2001:db8:1:a::/64"


def children(pid):
    """thingsd's children and their states, from /proc."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append((int(p), fields[0]))
    return out


@pytest.fixture
def inetd_lab():
    with L.Lab("inetd") as lab:
        client, router, host = L.lan_topology(lab)
        os.chmod(lab.tmp, 0o755)
        www = os.path.join(lab.tmp, "www")
        os.makedirs(www)
        with open(os.path.join(www, "hello.txt"), "w") as f:
            f.write("served by busybox httpd -i\n")
        yield lab, client, host, www


def test_busybox_httpd_serves_a_file_and_sees_its_environment(inetd_lab):
    lab, client, host, www = inetd_lab
    env = os.path.join(lab.tmp, "env.sh")
    with open(env, "w") as f:
        f.write('read line\nprintf "HTTP/1.0 200 OK\\r\\n\\r\\n%s %s %s %s %s %s\\n" '
                '"$PROTO" "$TCPLOCALIP" "$TCPLOCALPORT" "$TCPREMOTEIP" "$TCPREMOTEPORT" '
                '"$(id -u):$(id -g)"\n')
    d = lab.thingsd(host, BASE +
                    L.tcp_app("httpd", A, "inetd:busybox httpd -i -h " + www) +
                    L.tcp_app("env", "2001:db8:1:e::/64", "inetd:/bin/sh " + env, "8080",
                              user="nobody", group="nogroup"))
    res = client.run("curl", "-6", "-s", "-S", "--max-time", "5",
                     "http://[2001:db8:1:a::42]/hello.txt", check=False)
    assert res.stdout == "served by busybox httpd -i\n", res.stdout + res.stderr
    res = client.run("curl", "-6", "-s", "-S", "--max-time", "5", "--local-port", "40123",
                     "http://[2001:db8:1:e::7]:8080/", check=False)
    nobody = int(L.sh("id", "-u", "nobody").stdout)
    nogroup = int(L.sh("getent", "group", "nogroup").stdout.split(":")[2])
    assert res.stdout.split() == ["TCP", "2001:db8:1:e::7", "8080", L.CLIENT_LAN, "40123",
                                  "%d:%d" % (nobody, nogroup)], res.stdout + res.stderr
    assert wait_for(lambda: tcp_apps(d)["httpd"]["active"] == 0)
    httpd = tcp_apps(d)["httpd"]
    assert httpd["passed"] == 1 and httpd["refused"] == httpd["failed"] == 0, httpd
    assert httpd["command"] == "busybox httpd -i -h " + www
    assert "inetd:busybox httpd" in d.ctl("tcp", "list").stdout


HOLD = """
import socket, sys, time
addr, n = sys.argv[1], int(sys.argv[2])
socks = [socket.create_connection((addr, 80), timeout=10) for _ in range(n)]
print("connected", flush=True)
sys.stdin.readline()        # the test has seen thingsd accept them all
held, reset = [], 0
for s in socks:
    s.settimeout(0.5)
    try:
        s.recv(1)
        reset += 1          # an end of stream would be a failure too
    except ConnectionResetError:
        reset += 1
    except socket.timeout:
        held.append(s)
served = 0
for s in held:
    s.settimeout(10)
    s.sendall(b"GET /hello.txt HTTP/1.0\\r\\n\\r\\n")
    data = b""
    while True:
        got = s.recv(4096)
        if not got:
            break
        data += got
    served += data.endswith(b"served by busybox httpd -i\\n")
print(len(held), reset, served, flush=True)
"""


def test_max_children_refuses_the_rest_and_leaves_no_zombie(inetd_lab):
    lab, client, host, www = inetd_lab
    d = lab.thingsd(host, BASE + L.tcp_app("httpd", A, "inetd:busybox httpd -i -h " + www,
                                           max_children="10"))
    p = client.popen("python3", "-c", HOLD, "2001:db8:1:a::1", "50", stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "connected"
    assert wait_for(lambda: tcp_apps(d)["httpd"]["accepted"] == 50)
    kids = children(d.proc.pid)
    assert len(kids) == 10, kids
    out, _ = p.communicate("go\n", timeout=60)
    assert out.split() == ["10", "40", "10"], out
    assert wait_for(lambda: tcp_apps(d)["httpd"]["active"] == 0)
    httpd = tcp_apps(d)["httpd"]
    assert httpd["passed"] == 10 and httpd["refused"] == 40, httpd
    # Every child reaped: none left, not even as a zombie.
    assert children(d.proc.pid) == []


def test_a_child_past_its_timeout_is_ended(inetd_lab):
    lab, client, host, www = inetd_lab
    d = lab.thingsd(host, BASE + L.tcp_app("slow", A, "inetd:sleep 600", timeout="1"))
    probe = """
import socket, sys
c = socket.create_connection((sys.argv[1], 80), timeout=20)
print(repr(c.recv(10)))
"""
    # The connection ends when its program does.
    assert client.run("python3", "-c", probe, "2001:db8:1:a::1", timeout=30).stdout.strip() == "b''"
    assert wait_for(lambda: tcp_apps(d)["slow"]["timed_out"] == 1 and
                    tcp_apps(d)["slow"]["active"] == 0)
    assert children(d.proc.pid) == []


SSHD_CONFIG = """HostKey {tmp}/ssh_host_ed25519_key
PidFile none
UsePAM no
StrictModes no
AuthorizedKeysFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
"""


def test_sshd_in_inetd_mode(inetd_lab):
    """Debian's sshd -i with its own config and host key. It needs its
    privilege separation folder /run/sshd: made in a mount namespace of
    the connection's own, so the host's /run is left alone."""
    lab, client, host, www = inetd_lab
    key = os.path.join(lab.tmp, "ssh_host_ed25519_key")
    L.sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
    conf = os.path.join(lab.tmp, "sshd_config")
    with open(conf, "w") as f:
        f.write(SSHD_CONFIG.format(tmp=lab.tmp))
    cmd = ('unshare --mount /bin/sh -c "mount -t tmpfs -o mode=755 tmpfs /run && '
           'mkdir -m 755 /run/sshd && exec /usr/sbin/sshd -i -f %s"' % conf)
    d = lab.thingsd(host, BASE + L.tcp_app("ssh", A, "inetd:" + cmd, "22"))
    res = client.run("ssh-keyscan", "-T", "10", "-t", "ed25519", "2001:db8:1:a::22", check=False)
    with open(key + ".pub") as f:
        want = f.read().split()[:2]
    got = [line.split()[1:3] for line in res.stdout.splitlines() if not line.startswith("#")]
    assert got == [want], res.stdout + res.stderr
    assert wait_for(lambda: tcp_apps(d)["ssh"]["active"] == 0)
    assert tcp_apps(d)["ssh"]["passed"] == 1
