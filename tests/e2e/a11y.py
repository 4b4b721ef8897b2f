"""The accessibility check of the browser journeys: axe-core (vendored from the npm registry in ``vendor/axe-core``)
run on the page as a person sees it, WCAG 2.1 A and AA rules. A serious or critical violation fails the test with the
rule, what it means and the elements it found, so the message says what to fix.

The script is evaluated through the DevTools protocol, not added as a ``<script>`` tag: the pages' Content-Security-
Policy (``script-src 'self'``) refuses inline scripts, as it should.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
FAILING = {"serious", "critical"}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def _axe_source() -> str:
    return AXE.read_text()


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on ``page`` (every impact)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source() + "\n;undefined")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", TAGS
    )
    return list(result["violations"])


def assert_accessible(page: Any) -> None:
    """Fail when axe-core finds a serious or critical WCAG 2.1 A/AA violation on ``page``."""
    found = [v for v in violations(page) if v.get("impact") in FAILING]
    lines = []
    for violation in found:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> {'; '.join(targets)}")
    assert not found, f"accessibility violations on {page.url}:\n" + "\n".join(lines)
