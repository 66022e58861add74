"""Two gunicorn servers started with different COMPLAINTS_POLICY files act on the one
active policy version in the database; a version activated from the command line reaches
both within seconds."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

from states.policy import load_policy
from tests.apisupport import make_users_and_tokens
from tests.conftest import complaint_values, make_runtime, wait_for
from tests.servers import ROOT, http_request, ops_env


def _file(server, token: str, mobile: str) -> dict:
    status, _, body = http_request(server.port, "POST", "/api/v1/complaints",
                                   body=complaint_values(mobile=mobile),
                                   headers={"Authorization": f"Bearer {token}"})
    assert status == 201, body
    return json.loads(body)


def _reply_hours(complaint: dict) -> float:
    (reply,) = [d for d in complaint["deadlines"] if d["kind"] == "reply"]
    spent = (datetime.fromisoformat(reply["due_at"])
             - datetime.fromisoformat(reply["started_at"]))
    return spent.total_seconds() / 3600


def test_servers_with_different_policy_files_use_the_active_version(database_url, tmp_path,
                                                                     gunicorn_on):
    shipped = load_policy()
    short = tmp_path / "short.toml"
    short.write_text(shipped.text.replace('reply = "48h"', 'reply = "3h"', 1), "utf-8")
    rt = make_runtime(database_url)                 # the shipped file: version 1
    tokens = make_users_and_tokens(rt)
    assert rt.policy.number == 1
    rt.engine.dispose()

    one = gunicorn_on(database_url, workers=1, threads=2)
    two = gunicorn_on(database_url, workers=1, threads=2, COMPLAINTS_POLICY=str(short))
    token = tokens["wangli"]
    assert _reply_hours(_file(one, token, "13900000001")) == 48
    assert _reply_hours(_file(two, token, "13900000002")) == 48     # not its own file's 3h

    loaded = subprocess.run(
        [sys.executable, "-c", "from complaints.cli import main; main()", "policy", "load",
         str(short), "--activate", "--note", "答复 3 小时"], cwd=ROOT, env=ops_env(database_url),
        capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    assert "policy version 2" in loaded.stdout
    numbers = iter(range(13900001000, 13900002000))    # a new customer each time: no repeats
    for server in (one, two):
        wait_for(lambda s=server: _reply_hours(_file(s, token, str(next(numbers)))) == 3,
                 15, "the new version to reach the server")
