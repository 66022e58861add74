"""`complaints serve`: the development server answers, and refuses to start without a key."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request

CLI = [sys.executable, "-m", "complaints"]


def _env(url, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    return {**env, "COMPLAINTS_DATABASE_URL": url, **extra}


def test_serve_answers_on_an_ephemeral_port_in_demo_mode(sqlite_url):
    with subprocess.Popen([*CLI, "serve", "--port", "0"], env=_env(sqlite_url, COMPLAINTS_DEMO="1"),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        _check_server(proc)


def test_serve_runs_the_timer_worker_so_a_second_worker_is_refused(sqlite_url):
    with subprocess.Popen([*CLI, "serve", "--port", "0"], env=_env(sqlite_url, COMPLAINTS_DEMO="1"),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        try:
            deadline, said = time.monotonic() + 20, ""
            while "Running on" not in said and time.monotonic() < deadline:
                said += proc.stdout.readline()
            assert "timer worker running in this process" in said
            second = subprocess.run([*CLI, "worker", "--once"], env=_env(sqlite_url),
                                    capture_output=True, text=True, timeout=30)
            assert second.returncode != 0 and "worker" in second.stderr.lower()
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _check_server(proc):
    try:
        deadline, address = time.monotonic() + 20, None
        while address is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            match = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
            address = match and match.group(1)
        assert address, "the server did not say where it listens"
        with urllib.request.urlopen(f"{address}/login", timeout=10) as response:
            body = response.read().decode()
        assert response.status == 200 and "登录" in body and "demo-pass-2026" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_refuses_to_start_outside_demo_mode_without_a_secret_key(sqlite_url):
    result = subprocess.run([*CLI, "serve", "--port", "0"], env=_env(sqlite_url),
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "COMPLAINTS_SECRET_KEY" in result.stderr
