"""Network-namespace labs for IPv6 Things: the integration tests and
`make demo` build their topologies and run thingsd through this module.

Every namespace name carries a random suffix, so labs never collide, and
Lab.close() removes everything the lab made, in reverse order, even after a
failure half way through setting it up.
"""
import configparser
import ipaddress
import json
import os
import secrets
import signal
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# THINGS_SANITIZE=1 runs the suite against `make SANITIZE=1`'s build
# (build/sanitize), THINGS_BUILD against any other build folder; the tests
# that build what they run pass MAKE_VARS to make.
SANITIZE = os.environ.get("THINGS_SANITIZE") == "1"
BUILD = os.path.abspath(os.environ.get("THINGS_BUILD") or
                        os.path.join(REPO, "build", "sanitize" if SANITIZE else ""))
MAKE_VARS = ["BUILD=" + BUILD] + (["SANITIZE=1"] if SANITIZE else [])
THINGSD = os.path.join(BUILD, "thingsd")
THINGSCTL = os.path.join(BUILD, "thingsctl")
XDP_PASS_OBJ = os.path.join(BUILD, "xdp_pass.bpf.o")
BPFFS = "/sys/fs/bpf"

# The demo and test addressing plan (documentation prefixes only).
LAN = ipaddress.ip_network("2001:db8:ff::/64")
ROUTER_LAN = "2001:db8:ff::1"
HOST_LAN = "2001:db8:ff::2"
CLIENT_LAN = "2001:db8:ff::100"
ROUTED = ipaddress.ip_network("2001:db8:1::/48")
ONLINK = ipaddress.ip_network("2001:db8:2:3::/64")
# trace_topology(): client - r1 - r2 - host, a /64 on each link.
TRACE_CLIENT, TRACE_R1_CLIENT = "2001:db8:f1::100", "2001:db8:f1::1"
TRACE_R1, TRACE_R2 = "2001:db8:f2::1", "2001:db8:f2::2"
TRACE_R2_HOST, TRACE_HOST = "2001:db8:f3::1", "2001:db8:f3::2"


def sh(*args, check=True, capture=True, timeout=30):
    """Runs a command; raises with its stderr if it fails and check is set."""
    res = subprocess.run(args, capture_output=capture, text=True, timeout=timeout)
    if check and res.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(args), res.returncode,
                                                 (res.stderr or "").strip()))
    return res


def stop_process(proc, timeout=10):
    """Ends a process this code started (a Popen: by its PID), TERM first."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(cond, timeout=10, what="condition", step=0.1):
    """Polls cond until it holds: True, or an AssertionError saying what
    never came to hold (what: a text, or a function that gives one, called
    only then)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    assert cond(), what() if callable(what) else what
    return True


def fd_count(pid):
    """How many descriptors process pid holds."""
    return len(os.listdir("/proc/%d/fd" % pid))


def proc_status(pid):
    """/proc/PID/status as a dict: field name to the text after its tab."""
    with open("/proc/%d/status" % pid) as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def rss_kb(pid):
    """Resident memory of process pid, in KiB."""
    return int(proc_status(pid)["VmRSS"].split()[0])


def steady_fd_count(pid, reads=4, gap=0.1):
    """fd_count(pid) once nothing is in flight: the least of a few reads.
    thingsd closes a control connection just after it sends the reply, so
    the client that asked may already be gone while the descriptor is
    still there for a moment; a read at that moment counts it."""
    counts = []
    for i in range(reads):
        if i:
            time.sleep(gap)
        counts.append(fd_count(pid))
    return min(counts)


def ping(ns, addr, wait=2):
    """One echo request from ns with iputils ping: whether it was answered."""
    return ns.run("ping", "-6", "-n", "-c", "1", "-W", str(wait), addr, check=False,
                  timeout=wait + 10).returncode == 0


def random_address(net, rng):
    """A random address inside net, never the subnet-router anycast one."""
    host_bits = net.max_prefixlen - net.prefixlen
    return str(net.network_address + rng.randrange(1, 2 ** host_bits))


def ensure_bpffs():
    if sh("stat", "-f", "-c", "%T", BPFFS).stdout.strip() != "bpf_fs":
        sh("mount", "-t", "bpf", "bpf", BPFFS)


_multiprog = None


def xdp_multiprog_supported():
    """Can libxdp run two programs on one interface here? Its dispatcher
    needs freplace (BPF_PROG_TYPE_EXT) programs, which some kernels refuse;
    libxdp then attaches a single program directly."""
    global _multiprog
    if _multiprog is None:
        with Lab("mp") as lab:
            ns = lab.netns("probe")
            ns.ip("link", "add", "mpa", "type", "veth", "peer", "name", "mpb")
            ensure_bpffs()
            loader = ("nsenter", "--net=" + ns.path, "xdp-loader", "load", "-m", "skb", "mpa",
                      XDP_PASS_OBJ)
            sh(*loader)
            _multiprog = sh(*loader, check=False).returncode == 0
    return _multiprog


class Netns:
    def __init__(self, lab, role):
        self.name = "things-%s-%s-%s" % (lab.tag, role, lab.suffix)
        self.lab = lab
        sh("ip", "netns", "add", self.name)
        lab.undo.append(lambda: sh("ip", "netns", "del", self.name, check=False))
        self.run("ip", "link", "set", "lo", "up")
        self.sysctl("net.ipv6.conf.all.accept_dad", "0")
        self.sysctl("net.ipv6.conf.default.accept_dad", "0")

    @property
    def path(self):
        return "/run/netns/" + self.name

    def run(self, *args, check=True, timeout=30):
        return sh("ip", "netns", "exec", self.name, *args, check=check, timeout=timeout)

    def ip(self, *args, check=True):
        return sh("ip", "-n", self.name, *args, check=check)

    def ip_json(self, *args):
        return json.loads(sh("ip", "-n", self.name, "-j", *args).stdout or "[]")

    def sysctl(self, key, value):
        self.run("sysctl", "-qw", "%s=%s" % (key, value))

    def router(self):
        """Forwards, and sends its own ICMPv6 errors without the kernel's
        rate limit (one a second), so that every traceroute probe to it is
        answered."""
        self.sysctl("net.ipv6.conf.all.forwarding", "1")
        self.sysctl("net.ipv6.icmp.ratelimit", "0")

    def resolver(self, server):
        """Points this namespace's resolver at server: `ip netns exec`
        (Netns.run) mounts /etc/netns/NAME/resolv.conf over the host's."""
        d = "/etc/netns/" + self.name
        os.makedirs(d, exist_ok=True)
        self.lab.undo.append(lambda: sh("rm", "-rf", d, check=False))
        with open(os.path.join(d, "resolv.conf"), "w") as f:
            f.write("nameserver %s\noptions timeout:1 attempts:2\n" % server)

    def popen(self, *args, **kw):
        """A process in this namespace's network, in the caller's mount
        namespace: `ip netns exec` would remount /sys and hide bpffs."""
        return subprocess.Popen(("nsenter", "--net=" + self.path) + args, **kw)

    def link_mac(self, dev):
        return self.ip_json("link", "show", dev)[0]["address"]


class Thingsd:
    """thingsd running in a namespace, with its own pins and run dir."""

    def __init__(self, lab, ns, conf_text=None, conf_file=None, args=()):
        self.lab, self.ns = lab, ns
        self.log_path = os.path.join(lab.tmp, "thingsd.log")
        self.proc = None
        if conf_file:
            # Run a given config as it is: its [daemon] section says where.
            parser = configparser.ConfigParser(strict=False, interpolation=None)
            parser.read(conf_file)
            daemon = parser["daemon"] if parser.has_section("daemon") else {}
            self.pin_dir = daemon.get("pin_dir", BPFFS + "/things")
            self.run_dir = daemon.get("run_dir", "/run/things")
            self.state_dir = daemon.get("state_dir", "/var/lib/things")
            self.conf = conf_file
        else:
            self.pin_dir = "%s/things-%s-%s" % (BPFFS, lab.tag, lab.suffix)
            self.run_dir = os.path.join(lab.tmp, "run")
            self.state_dir = os.path.join(lab.tmp, "state")
            self.conf = os.path.join(lab.tmp, "thingsd.conf")
            self.write_conf(conf_text)
        lab.undo.append(self.cleanup)
        self.start(args)

    def write_conf(self, body):
        with open(self.conf, "w") as f:
            f.write("[daemon]\npin_dir = %s\nrun_dir = %s\nstate_dir = %s\n\n%s" %
                    (self.pin_dir, self.run_dir, self.state_dir, body))

    def start(self, args=(), wait=True):
        ensure_bpffs()
        self.log = open(self.log_path, "a")
        self.proc = self.ns.popen(THINGSD, "-c", self.conf, "-v", *args,
                                  stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=10):
        sock = os.path.join(self.run_dir, "thingsd.sock")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("thingsd exited %d:\n%s" % (self.proc.returncode, self.read_log()))
            # A killed daemon leaves its socket file: only the daemon's
            # own answer says this one is up.
            if os.path.exists(sock):
                res = self.ctl("-j", "status", check=False)
                if res.returncode == 0 and json.loads(res.stdout).get("running"):
                    return
            time.sleep(0.05)
        raise RuntimeError("thingsd not ready after %ss:\n%s" % (timeout, self.read_log()))

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def ctl(self, *args, check=True):
        return sh("nsenter", "--net=" + self.ns.path, THINGSCTL, "--run-dir", self.run_dir,
                  "--pin-dir", self.pin_dir, *args, check=check)

    def ctl_json(self, *args):
        return json.loads(self.ctl("-j", *args).stdout)

    def read_log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        # Interfaces go with the namespaces; pins are ours alone to remove.
        sh("rm", "-rf", self.pin_dir, check=False)


class Lab:
    """A set of namespaces and processes that close() takes down again."""

    def __init__(self, tag="lab"):
        self.tag = tag
        self.suffix = secrets.token_hex(3)
        self.undo = []
        self.tmp = tempfile.mkdtemp(prefix="things-%s-" % tag)
        self.undo.append(lambda: sh("rm", "-rf", self.tmp, check=False))

    def netns(self, role):
        return Netns(self, role)

    def veth(self, ns_a, dev_a, ns_b, dev_b):
        sh("ip", "link", "add", dev_a, "netns", ns_a.name, "type", "veth",
           "peer", "name", dev_b, "netns", ns_b.name)
        ns_a.ip("link", "set", dev_a, "up")
        ns_b.ip("link", "set", dev_b, "up")

    def xdp_pass(self, ns, dev):
        """Lets native XDP_TX from the peer reach dev."""
        ns.ip("link", "set", "dev", dev, "xdpdrv", "obj", XDP_PASS_OBJ, "sec", "xdp")

    def thingsd(self, ns, conf_text=None, conf_file=None, args=()):
        return Thingsd(self, ns, conf_text, conf_file, args)

    def close(self):
        while self.undo:
            fn = self.undo.pop()
            try:
                fn()
            except Exception as e:  # keep undoing the rest
                print("lab cleanup: %s" % e)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def lan_topology(lab):
    """client and host on one LAN (a bridge in the router namespace), the
    router being the client's way to the routed /48 on the host.

        client c0 --- rc0 [br0 router 2001:db8:ff::1] rh0 --- h0 host
    """
    client, router, host = lab.netns("client"), lab.netns("router"), lab.netns("host")
    lab.veth(client, "c0", router, "rc0")
    lab.veth(host, "h0", router, "rh0")
    router.ip("link", "add", "br0", "type", "bridge")
    for port in ("rc0", "rh0"):
        router.ip("link", "set", port, "master", "br0")
    router.ip("link", "set", "br0", "up")
    router.router()
    # Replies sent with XDP_TX by the host arrive through rh0.
    lab.xdp_pass(router, "rh0")

    router.ip("addr", "add", ROUTER_LAN + "/64", "dev", "br0", "nodad")
    host.ip("addr", "add", HOST_LAN + "/64", "dev", "h0", "nodad")
    client.ip("addr", "add", CLIENT_LAN + "/64", "dev", "c0", "nodad")
    host.ip("-6", "route", "add", "default", "via", ROUTER_LAN)
    client.ip("-6", "route", "add", "default", "via", ROUTER_LAN)
    router.ip("-6", "route", "add", str(ROUTED), "via", HOST_LAN)
    # The on-link /64 is on the LAN: its neighbours resolve it with NDP.
    client.ip("-6", "route", "add", str(ONLINK), "dev", "c0")
    router.ip("-6", "route", "add", str(ONLINK), "dev", "br0")
    return client, router, host


def reverse_zone(prefix):
    """The ip6.arpa zone of a prefix, cut at the nibble: as `thingsctl trace
    zone` names it, without the final dot."""
    net = ipaddress.ip_network(prefix)
    labels = net.network_address.reverse_pointer.split(".")
    return ".".join(labels[32 - net.prefixlen // 4:])


def trace_topology(lab):
    """Two routed hops between a client and the host, as a traceroute to a
    story wants to see them before the story's own lines:

        client c0 --- r1c [r1] r1n --- r2n [r2] r2h --- h0 host
    """
    client, r1, r2, host = (lab.netns(r) for r in ("client", "r1", "r2", "host"))
    lab.veth(client, "c0", r1, "r1c")
    lab.veth(r1, "r1n", r2, "r2n")
    lab.veth(r2, "r2h", host, "h0")
    r1.router()
    r2.router()
    # Replies sent with XDP_TX by the host arrive through r2h.
    lab.xdp_pass(r2, "r2h")
    for ns, addr, dev in ((client, TRACE_CLIENT, "c0"), (r1, TRACE_R1_CLIENT, "r1c"),
                          (r1, TRACE_R1, "r1n"), (r2, TRACE_R2, "r2n"),
                          (r2, TRACE_R2_HOST, "r2h"), (host, TRACE_HOST, "h0")):
        ns.ip("addr", "add", addr + "/64", "dev", dev, "nodad")
    client.ip("-6", "route", "add", "default", "via", TRACE_R1_CLIENT)
    r1.ip("-6", "route", "add", "default", "via", TRACE_R2)
    r2.ip("-6", "route", "add", "default", "via", TRACE_R1)
    r2.ip("-6", "route", "add", str(ROUTED), "via", TRACE_HOST)
    host.ip("-6", "route", "add", "default", "via", TRACE_R2_HOST)
    return client, r1, r2, host


class Nsd:
    """NSD serving one zone file on addr:53 in a namespace, in the
    foreground, with every file of its own in the lab's folder."""

    def __init__(self, lab, ns, addr, zone, zone_file):
        self.dir = tempfile.mkdtemp(prefix="nsd-", dir=lab.tmp)
        self.addr, self.ns = addr, ns
        conf = os.path.join(self.dir, "nsd.conf")
        with open(conf, "w") as f:
            f.write('server:\n  ip-address: %s\n  port: 53\n  do-ip4: no\n'
                    '  username: ""\n  chroot: ""\n  zonesdir: "%s"\n'
                    '  pidfile: "%s/nsd.pid"\n  database: ""\n'
                    '  zonelistfile: "%s/zone.list"\n  xfrdfile: "%s/xfrd.state"\n'
                    '  xfrdir: "%s"\n  logfile: "%s/nsd.log"\n  server-count: 1\n'
                    '  verbosity: 1\n'
                    'remote-control:\n  control-enable: no\n'
                    'zone:\n  name: "%s"\n  zonefile: "%s"\n'
                    % ((addr, self.dir) + (self.dir,) * 5 + (zone, zone_file)))
        self.log = open(os.path.join(self.dir, "stdout.log"), "w")
        self.proc = ns.popen("nsd", "-d", "-c", conf, stdout=self.log, stderr=subprocess.STDOUT)
        lab.undo.append(self.stop)
        self.wait_ready(zone)

    def wait_ready(self, zone, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nsd exited %d:\n%s" % (self.proc.returncode, self.read_log()))
            res = self.ns.run("dig", "+short", "+time=1", "+tries=1", "@" + self.addr, zone,
                              "SOA", check=False)
            if res.returncode == 0 and res.stdout.strip():
                return
            time.sleep(0.1)
        raise RuntimeError("nsd not answering after %ss:\n%s" % (timeout, self.read_log()))

    def read_log(self):
        out = []
        for name in ("stdout.log", "nsd.log"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    out.append(f.read())
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        stop_process(self.proc)
        self.log.close()
def tcp_app(name, prefix, target, ports="80", **keys):
    """The [app NAME] section of a tcp app."""
    lines = ["", "[app %s]" % name, "kind = tcp", "prefix = %s" % prefix, "ports = %s" % ports,
             "target = %s" % target] + ["%s = %s" % kv for kv in keys.items()]
    return "\n".join(lines) + "\n"


DEMO_APPS = """[interface h0]

[app routed]
kind = echo
prefix = %s

[app lan]
kind = echo
prefix = %s
onlink = yes
interface = h0
""" % (ROUTED, ONLINK)
