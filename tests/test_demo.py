"""`make demo` must keep working: run its script with no idle time."""
import os
import subprocess

import lab as L


def test_demo_runs_and_cleans_up():
    env = dict(os.environ, DEMO_SECONDS="0")
    res = subprocess.run(["/usr/bin/python3", os.path.join(L.REPO, "examples", "demo.py")],
                         capture_output=True, text=True, timeout=300, env=env)
    out = res.stdout
    assert res.returncode == 0, out + res.stderr
    assert out.count("64 bytes from 2001:db8:1:") == 4, out
    assert out.count("64 bytes from 2001:db8:2:3:") == 4, out
    assert "Target link-layer address:" in out, out
    assert "tx-echo-reply" in out and "tx-na" in out, out
    assert "things-demo-" not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                                text=True).stdout
    assert not os.path.exists(L.BPFFS + "/things-demo")
