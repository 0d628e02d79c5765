"""axe-core (vendored, no network) injected into a page in Chromium: WCAG 2.1 A/AA results and a summary."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor"
#: The WCAG 2.0 and 2.1 level A and AA rules (axe's own tags for them).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Desktop and phone, the two widths every staff page is checked at.
WIDTHS = {1280: {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
          390: {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}}


@lru_cache(maxsize=1)
def source() -> str:
    """The vendored axe.min.js."""
    return (VENDOR / "axe.min.js").read_text(encoding="utf-8")


def vendored_version() -> str:
    """The version the vendor README declares (checked against what axe reports)."""
    match = re.search(r"\| `axe.min.js` \| [^|]+\| ([0-9.]+) \|", (VENDOR / "README.md").read_text(encoding="utf-8"))
    assert match, "tests/staff/vendor/README.md names no axe-core version"
    return match.group(1)


def set_width(browser, width: int) -> None:
    """Emulate a screen of this width (headless Chromium will not size a window below 500 px)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", WIDTHS[width])


@dataclass
class Result:
    """One axe run over one page at one width."""

    page: str
    width: int
    version: str
    violations: list[dict]
    passes: int
    incomplete: int
    overflow: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line of the summary table."""
        ids = ",".join(sorted({v["id"] for v in self.violations})) or "-"
        return (f"{self.page:<34} {self.width:>5}px  violations {len(self.violations):>2} ({ids})  "
                f"rules passed {self.passes:>2}  to review by hand {self.incomplete:>2}  sideways scroll {self.overflow}px")

    def details(self) -> str:
        """Every violation with its nodes, for a failing assertion."""
        out = []
        for v in self.violations:
            out.append(f"{self.page} @{self.width}px: {v['id']} ({v['impact']}): {v['help']}")
            for node in v["nodes"][:5]:
                out.append(f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}")
        return "\n".join(out)


def run(browser, page: str, width: int) -> Result:
    """Inject axe into the loaded page and run the WCAG 2.1 A/AA rules over the whole document."""
    if not browser.execute_script("return !!window.axe"):
        browser.execute_script(source())
    browser.set_script_timeout(60)
    answer = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(function (r) { done({version: r.testEngine.version, violations: r.violations.map(function (v) {"
        "  return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) {"
        "    return {target: n.target.join(' '), failureSummary: n.failureSummary || ''}; })}; }),"
        " passes: r.passes.length, incomplete: r.incomplete.length}); })"
        ".catch(function (e) { done({error: String(e)}); });", WCAG_TAGS)
    assert "error" not in answer, answer
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    return Result(page, width, answer["version"], answer["violations"], answer["passes"], answer["incomplete"],
                  overflow=max(0, overflow))
