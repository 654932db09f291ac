"""Fixtures shared by the Python suites."""

import os
import subprocess
import time

import pytest

MODULE = os.environ.get("TARMAC_REPLAY_MODULE", "")


@pytest.fixture
def server(tmp_path):
    """A redis-server on a unix socket in tmp_path with the module loaded; stopped by its PID."""
    if not MODULE:
        pytest.skip("run by ctest, which builds the tarmac_replay module")
    sock = tmp_path / "redis.sock"
    proc = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path), "--loadmodule", MODULE],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):  # up to 10 s
            if sock.exists():
                break
            time.sleep(0.05)
        else:
            pytest.fail("redis-server did not open its socket")
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
