"""The figures of a mutation run (``make mutation``): killed, timed out and survived per file, over the mutants named
on the command line (the money core's functions), and the score over the mutants that change behaviour: all but the
ones ``tests/MUTATION.md`` sets aside, each listed there on a line starting with ``- `<mutant name>` ``.

Run from the project root after ``mutmut run``: ``python tests/mutation_summary.py 'wallet.ledger.*' ...``.
Exits with status 1 when the score is below ``--fail-under`` (a percentage; 0 by default: report only).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from collections import Counter
from pathlib import Path

KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
OTHER = {0: "survived", 33: "no tests", 5: "no tests", 34: "skipped", 37: "type check", None: "not run"}
SET_ASIDE = re.compile(r"^- `([\w.ǁ]+__mutmut_\d+)`", re.MULTILINE)
COLUMNS = ("mutants", "killed", "timeout", "survived", "other", "not run", "set aside")


def _status(code: int | None) -> str:
    return KILLED.get(code) or OTHER.get(code) or "other"  # type: ignore[arg-type]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("patterns", nargs="+", help="mutant names or globs, as given to mutmut run")
    parser.add_argument("--fail-under", type=float, default=0.0)
    args = parser.parse_args()
    notes = Path("tests/MUTATION.md")
    set_aside = set(SET_ASIDE.findall(notes.read_text())) if notes.exists() else set()
    per_file: dict[str, Counter[str]] = {}
    survivors: list[str] = []
    killed_but_set_aside: list[str] = []
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        results: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        counts: Counter[str] = Counter()
        for name, code in sorted(results.items()):
            if not any(fnmatch.fnmatch(name, pattern) for pattern in args.patterns):
                continue
            status = _status(code)
            counts["mutants"] += 1
            if name in set_aside:
                counts["set aside"] += 1
                if code in KILLED:
                    killed_but_set_aside.append(name)
                continue
            counts[status if status in COLUMNS else "other"] += 1
            if code not in KILLED and code is not None:
                survivors.append(f"{name}: {status}")
        if counts:
            per_file[str(meta.relative_to("mutants"))[: -len(".meta")]] = counts
    if not per_file:
        print("No mutation results: run `make mutation` (or `mutmut run`) first.")
        return 1
    per_file["all"] = sum(per_file.values(), Counter())
    print(f"{'file':<28}" + "".join(f"{c:>10}" for c in COLUMNS) + f"{'score':>9}")
    for path, counts in per_file.items():
        behaviour = counts["mutants"] - counts["set aside"] - counts["not run"]
        score = 100.0 * (counts["killed"] + counts["timeout"]) / behaviour if behaviour else 100.0
        print(f"{path:<28}" + "".join(f"{counts[c]:>10}" for c in COLUMNS) + f"{score:>8.1f}%")
    print("score: killed or timed out, out of the mutants run that change behaviour (all but the set-aside ones)")
    if survivors:
        print(f"\nNot killed and not set aside ({len(survivors)}); see one with `.venv/bin/mutmut show <name>`:")
        print("\n".join(f"  {line}" for line in survivors))
    if killed_but_set_aside:
        print(
            f"\nSet aside in tests/MUTATION.md, yet killed (take them off the list): {' '.join(killed_but_set_aside)}"
        )
    return 1 if score < args.fail_under else 0


if __name__ == "__main__":
    sys.exit(main())
