# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
import os
import subprocess

import pytest

import xdp


@pytest.fixture(scope="session", autouse=True)
def built():
    """Brings every build output the tests run up to date, once."""
    if os.geteuid() != 0:
        pytest.exit("these tests load BPF programs: run them as root", returncode=1)
    targets = ["all"]
    proc = subprocess.run(["make", "-C", str(xdp.REPO), *targets],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.exit(f"make {' '.join(targets)} failed:\n{proc.stdout}{proc.stderr}",
                    returncode=1)
