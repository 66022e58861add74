"""API tokens: created once in plain text, stored hashed, revocable; the CLI commands."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from complaints.cli import main
from tests.apisupport import make_users_and_tokens
from workflow.admin import tokens
from workflow.domain.errors import NotFound, ValidationError
from workflow.store.schema import api_tokens, utcnow


def test_a_token_is_stored_only_as_its_sha256_and_resolves_to_its_users_actor(rt):
    plain = make_users_and_tokens(rt)["zhangwei"]
    with rt.uow(write=False) as uow:
        stored = uow.conn.execute(select(api_tokens.c.token_hash)).scalars().all()
        token_id, actor, last_used = tokens.resolve(uow.conn, plain)
    assert plain not in stored and tokens.digest(plain) in stored
    assert (actor.username, actor.role.value, actor.department) == ("zhangwei", "handler", "network")
    assert last_used is None


def test_revoked_unknown_and_bad_requests_for_tokens(rt):
    plain = make_users_and_tokens(rt)["lina"]
    with rt.uow() as uow:
        token_id = tokens.resolve(uow.conn, plain)[0]
        tokens.revoke(uow.conn, token_id, now=utcnow())
        tokens.revoke(uow.conn, token_id, now=utcnow())          # harmless twice
        assert tokens.resolve(uow.conn, plain) is None
        assert tokens.resolve(uow.conn, "cpt_guess") is None
        with pytest.raises(NotFound):
            tokens.revoke(uow.conn, 9999, now=utcnow())
        with pytest.raises(ValidationError) as bad:
            tokens.create(uow.conn, "nobody", " ", now=utcnow())
        assert set(bad.value.errors) == {"username", "name"}


def test_the_cli_creates_lists_and_revokes_tokens(sqlite_url, monkeypatch):
    from tests.conftest import make_runtime
    rt = make_runtime(sqlite_url)
    make_users_and_tokens(rt)
    monkeypatch.setenv("COMPLAINTS_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "wangli", "--name", "10086热线系统"])
    assert created.exit_code == 0, created.output
    plain = created.output.strip().splitlines()[-1]
    with rt.uow(write=False) as uow:
        token_id, actor, _ = tokens.resolve(uow.conn, plain)
    assert actor.username == "wangli"
    listed = runner.invoke(main, ["token", "list"])
    assert "10086热线系统" in listed.output and plain not in listed.output
    assert runner.invoke(main, ["token", "revoke", str(token_id)]).exit_code == 0
    with rt.uow(write=False) as uow:
        assert tokens.resolve(uow.conn, plain) is None
    assert "revoked" in runner.invoke(main, ["token", "list"]).output
    assert runner.invoke(main, ["token", "create", "ghost", "--name", "x"]).exit_code != 0
    rt.engine.dispose()
