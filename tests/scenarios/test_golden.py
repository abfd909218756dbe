"""Golden scenarios: each ``*.yaml`` here is a scenario (SPEC §10) plus a top-level ``expect:``.

The expected values are worked out by hand in comments above each value in the YAML files; the
replayer must reproduce them exactly (amounts as strings) on SQLite and on PostgreSQL. ``expect``
holds only the parts a scenario is about:

- ``accounts``: per account, a partial view. Mappings are matched key by key (only the keys
  given); lists must have exactly the length given, each element matched the same way.
- ``events_include``: events (date, account, type) that must be among the output's events;
  ``events_exclude``: (account, type) pairs that no output event may have.
- ``error``: the replay must stop with a ``ScenarioError`` whose ``field`` is ``error.field``
  and whose rule contains every text of ``error.contains``.

Every scenario also checks what must hold for any scenario: the ledger balances (and equals
what the postings re-derive), debits = credits, and on every line ``available = max(0, limit −
principal_balance)`` (SPEC §5). On PostgreSQL the whole output is compared with the output of
the same scenario on a fresh SQLite file (its SQLite golden run, shared between xdist workers
through a session directory, or a new replay when that has not run yet): identical.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from golden_support import assert_matches, check_invariants, load_golden
from sqlalchemy import Engine

from creditguard.servicing.replay import replay, replay_on
from creditguard.servicing.scenario import ScenarioError, load_scenario

HERE = Path(__file__).parent
FILES = sorted(HERE.glob("*.yaml"))


def test_golden_files_exist() -> None:
    assert len(FILES) >= 20
    for path in FILES:
        _, expect = load_golden(path)
        assert set(expect) <= {"accounts", "events_include", "events_exclude", "error"}, path.name
        assert expect, path.name


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden(path: Path, engine: Engine, sqlite_outputs: Path) -> None:
    scenario, expect = load_golden(path)
    if "error" in expect:
        wanted = expect["error"]
        with pytest.raises(ScenarioError) as caught:
            replay_on(engine, scenario)
        assert caught.value.field == wanted["field"]
        for text in wanted.get("contains", []):
            assert text in caught.value.rule, caught.value.rule
        return
    out = replay_on(engine, scenario)
    check_invariants(out)
    assert out["as_of"] == scenario.until.isoformat()
    assert_matches(out["accounts"], expect.get("accounts", {}), "accounts")
    for wanted in expect.get("events_include", []):
        assert wanted in out["events"], f"no event {wanted!r} in {out['events']!r}"
    for unwanted in expect.get("events_exclude", []):
        hits = [e for e in out["events"] if all(e[k] == v for k, v in unwanted.items())]
        assert not hits, f"unexpected events {hits!r}"
    shared = sqlite_outputs / f"servicing-{path.stem}.json"
    if engine.dialect.name == "sqlite":
        # Written whole then renamed, so a reader never sees half a file.
        partial = shared.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(out), encoding="utf-8")
        partial.replace(shared)
    else:
        # The same scenario on a fresh SQLite database must give the identical output: the
        # SQLite run of this scenario when it already ran (in any worker), else a new one.
        reference = (
            json.loads(shared.read_text(encoding="utf-8")) if shared.exists() else replay(scenario)
        )
        assert out == reference


def _scenario_text(path: Path) -> str:
    """The file's text without its ``expect:`` block (always last, at the top level)."""
    text = path.read_text(encoding="utf-8")
    head, sep, _ = text.partition("\nexpect:")
    assert sep, f"{path.name} has no top-level expect block"
    return head + "\n"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "creditguard"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120)


def test_cli_replay_prints_the_same_output(tmp_path: Path) -> None:
    """``creditguard replay FILE --json`` on a golden scenario prints what the API returns."""
    source = HERE / "line_convert_purchases.yaml"
    scenario_file = tmp_path / "scenario.yaml"
    scenario_file.write_text(_scenario_text(source), encoding="utf-8")
    done = _cli("replay", str(scenario_file), "--json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    _, expect = load_golden(source)
    check_invariants(printed)
    assert_matches(printed["accounts"], expect["accounts"], "accounts")
    scenario = load_scenario(scenario_file.read_text(encoding="utf-8"))
    assert printed["as_of"] == scenario.until.isoformat()


def test_cli_replay_refusal_names_the_event(tmp_path: Path) -> None:
    """A refused command: exit code 2 and one line naming the event and field."""
    source = HERE / "line_over_available_refused.yaml"
    scenario_file = tmp_path / "scenario.yaml"
    scenario_file.write_text(_scenario_text(source), encoding="utf-8")
    done = _cli("replay", str(scenario_file), "--json")
    assert done.returncode == 2
    assert "events[2].amount: purchase on 2026-01-11" in done.stderr + done.stdout
