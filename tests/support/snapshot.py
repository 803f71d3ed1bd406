"""A canonical, comparable record of what the program registers for a stack: URN, type, parent, options and
inputs of every resource (secrets still wrapped). A dynamic resource's `__provider` is recorded as the class
name and attributes of the unpickled provider instead of the pickle bytes, because the bytes name the
provider's module, which a layout change may move (under an alias; see docs/contributing.md).

Regenerate the golden files after an intended change: `UPDATE_SNAPSHOTS=1 make test`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.stack import ProgramRun, Registered

GOLDEN = Path(__file__).resolve().parents[1] / "stack" / "snapshots"


def _provider(r: Registered) -> Any:
    provider = r.provider
    return {"class": type(provider).__qualname__,
            "attributes": {k: repr(v) for k, v in sorted(vars(provider).items())}}


def snapshot(run: ProgramRun) -> list[dict]:
    out = []
    for r in run.resources:
        inputs = dict(r.inputs)
        if "__provider" in inputs:
            inputs["__provider"] = _provider(r)
        options = {k: v for k, v in r.options.items() if k != "urn"}
        options["dependencies"] = sorted(options.get("dependencies", []))   # the SDK gathers them unordered
        out.append({"urn": r.options.get("urn"), "type": r.typ, "custom": r.custom, "options": options,
                    "inputs": inputs})
    return sorted(out, key=lambda e: e["urn"] or "")


def as_text(run: ProgramRun) -> str:
    return json.dumps(snapshot(run), indent=1, sort_keys=True, default=repr) + "\n"
