"""A readable listing of the call flows, for `peerline flows show`."""
from __future__ import annotations

import textwrap
from collections import deque

from ivr.calls.flow import FlowSet


def describe(flows: FlowSet, language: str) -> str:
    """Every step in the order a caller meets them: what it says and where each key leads."""
    lines: list[str] = []
    order = _breadth_first(flows)
    for name in order:
        step = flows.steps[name]
        label = step.kind if step.kind != "action" else f"action: {step.action}"
        lines.append(f"{name}  [{label}]  ({step.source})")
        for prompt_id in ([step.prompt] if step.prompt else []) + list(step.prompts):
            langs = list(flows.prompts.languages) if step.all_languages else [language]
            for lang in langs:
                text = flows.prompts.text(prompt_id, lang, crisis_number="<crisis number>",
                                          crisis_number_slow="<crisis number>")
                lines += ["    " + row for row in textwrap.wrap(f'says: "{text}"', 92, subsequent_indent="      ")]
        for key, target in step.keys.items():
            lines.append(f"    {key} -> {target}")
        if step.kind == "menu":
            lines.append("    * -> repeat" + (f" ({step.all_choices})" if step.all_choices else ""))
        if step.back:
            lines.append(f"    # -> {step.back}")
        for label_, target in (("any key", step.any_key), ("no input", step.on_timeout), ("then", step.next)):
            if target:
                lines.append(f"    {label_} -> {target}")
        if step.targets:
            lines.append(f"    leads to: {', '.join(step.targets)}")
        if step.hangup:
            lines.append("    then hangs up")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _breadth_first(flows: FlowSet) -> list[str]:
    roots = [flows.start] + sorted(n for n in flows.steps if n.startswith("entry_"))
    order, seen, todo = [], set(), deque(roots)
    while todo:
        name = todo.popleft()
        if name in seen or name not in flows.steps:
            continue
        seen.add(name)
        order.append(name)
        todo.extend(flows.steps[name].exits())
    order += sorted(set(flows.steps) - seen)
    return order
