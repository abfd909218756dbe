"""CPU per command on aged credit-pay lines: what a command costs after a year on book.

    .venv/bin/python bench/aged_commands.py [--borrowers 200] [--months 12] [--commands 1500]
        [--db PATH] [--json]

Simulates the shipped default scenario at ``--borrowers`` × ``--months`` into ``--db`` (kept
and reused when it exists: the first run takes a minute or two), copies it, and runs
``--commands`` small purchases round-robin over the lines still active, in one
``Servicing.batch()`` as the simulator does. Reports the mean size of a line's state document
and the process CPU per command (``time.process_time``: less sensitive than wall time to the
other load on a shared machine). To compare two revisions, run this from a git worktree of each
with ``PYTHONPATH=<worktree>/src`` and the same ``--db``, alternating, at least twice each.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import text

from creditguard.servicing.service import Servicing
from creditguard.simulate import run as sim_run
from creditguard.simulate.scenario import shipped_scenario
from creditguard.store.db import connect


def main() -> None:
    """Build (or reuse) the aged book, time the commands, print the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borrowers", type=int, default=200)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--commands", type=int, default=1500)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "aged.db")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.db.exists():
        scenario = replace(
            shipped_scenario("default"), borrowers=args.borrowers, months=args.months
        )
        sim_run.simulate(scenario, connect(f"sqlite:///{args.db}"))
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "aged.db"
        shutil.copy(args.db, copy)
        engine = connect(f"sqlite:///{copy}")
        with engine.connect() as conn:
            lines = list(
                conn.execute(
                    text(
                        "SELECT account_id FROM accounts WHERE kind = 'line' AND status = 'active'"
                    )
                ).scalars()
            )
            sizes = list(
                conn.execute(
                    text(
                        "SELECT length(d.state) FROM account_documents d"
                        " JOIN accounts a USING (account_id) WHERE a.kind = 'line'"
                    )
                ).scalars()
            )
        svc = Servicing(engine, actor="bench")
        started = time.process_time()
        with svc.batch():
            for j in range(args.commands):
                # One fen: never over the limit, whatever the line owes.
                svc.purchase(lines[j % len(lines)], 1, key=f"bench-aged-{j}")
        cpu = time.process_time() - started
        engine.dispose()
    result = {
        "lines": len(lines),
        "mean_document_chars": sum(sizes) // max(len(sizes), 1),
        "commands": args.commands,
        "cpu_ms_per_command": round(cpu / args.commands * 1e3, 3),
    }
    if not args.json:
        for key, value in result.items():
            print(f"  {key:22} {value}")
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
