"""The Pulumi engine's side of a deployment, replayed against the SDK's real dynamic-provider server.

`Deployment` drives up / preview / refresh / destroy / import_ over the program's dynamic resources through a
`ProviderServer` (tests/support/provider_server.py) and keeps the state (id, inputs, outputs) between them the way
the engine does, with its call shapes (pulumi/pulumi `step_generator.go`, `step.go`, `provider_plugin.go`):
- up, new: Check(olds={}, news=program inputs incl. __provider), then Create(the checked inputs);
- up, existing: Check(olds=old inputs, news), Diff(olds=old OUTPUTS, old_inputs, news), Update(olds=old outputs,
  news) when it changed, a replacement (Check without olds, Delete, Create) when it must be replaced;
  what the program no longer declares is deleted;
- preview: Check and Diff only, unknowns kept (no Create/Update for a provider without preview support);
- refresh: Read(id, properties=old outputs, inputs=old inputs), then the Diff newer engines show;
- destroy: Delete(id, properties=old outputs, old_inputs), in reverse creation order;
- import_: Read(id) with neither state nor inputs, then Check and Diff against the program's inputs.
Secrets are stripped from what goes to a provider that refused them and marked again on what comes back
(`annotateSecrets`, additionalSecretOutputs). `program_goals` takes the inputs exactly as the program registered
them under mocks (tests/support/stack.py), `__provider` included.

Simplifications: one server process serves several deployments (the CLI starts one per command); steps run one
after another in registration order (the program registers a resource only after what it depends on), and a
deployment stops at the first failed step (the engine skips the failed resource's dependents).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import provider_pb2

from tests.support.engine_wire import annotate_secrets, from_struct, mark_secret, redact, reveal, to_struct
from tests.support.provider_server import EngineError, ProviderServer
from tests.support.stack import ProgramRun

DYNAMIC_TYPE = "pulumi-python:dynamic/"
DIFF = provider_pb2.DiffResponse


# --------------------------------------------------------------------------------------------------------------
# What the program registered, what the engine keeps, what a deployment did.

@dataclass
class Goal:
    """A dynamic resource as the program registered it: inputs as sent (secrets wrapped, `__provider` included)."""
    urn: str
    type: str
    inputs: dict
    dependencies: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


def program_goals(run: ProgramRun) -> list[Goal]:
    """The program's dynamic resources in registration order, with the inputs exactly as RegisterResource sent them."""
    goals = []
    for r in run.resources:
        if r.typ.startswith(DYNAMIC_TYPE):
            struct = struct_pb2.Struct()
            struct.ParseFromString(r.wire)
            goals.append(Goal(r.options["urn"], r.typ, from_struct(struct), list(r.options["dependencies"]),
                              list(r.options["additional_secret_outputs"])))
    return goals


@dataclass
class Resource:
    urn: str
    type: str
    id: str
    inputs: dict
    outputs: dict


@dataclass
class Step:
    op: str                              # create | same | update | replace | delete | refresh | import
    urn: str
    diff: Optional[provider_pb2.DiffResponse] = None
    changed: list[str] = field(default_factory=list)    # refresh: the outputs that differ from the state's

    @property
    def name(self) -> str:
        return _name(self.urn)


# --------------------------------------------------------------------------------------------------------------
# Deployments

class Deployment:
    """One stack's state and the engine's operations on it, through a running ProviderServer."""

    def __init__(self, server: ProviderServer):
        self.server = server
        self.resources: dict[str, Resource] = {}    # creation order (a valid dependency order)

    # ---- operations ------------------------------------------------------------------------------------------
    def up(self, goals: list[Goal]) -> list[Step]:
        return self._deploy(goals, preview=False)

    def preview(self, goals: list[Goal]) -> list[Step]:
        """Check and Diff only; Create/Update are not sent to a provider that does not support previews."""
        return self._deploy(goals, preview=True)

    def refresh(self) -> list[Step]:
        steps = []
        for res in list(self.resources.values()):
            read = self._call("Read", res.urn, provider_pb2.ReadRequest(
                id=res.id, urn=res.urn, name=_name(res.urn), type=res.type,
                properties=self._wire(res.outputs), inputs=self._wire(res.inputs)), provider_pb2.ReadResponse)
            if not read.id:                              # gone: refresh drops it from the state
                del self.resources[res.urn]
                steps.append(Step("delete", res.urn))
                continue
            outputs = annotate_secrets(from_struct(read.properties), res.outputs)
            inputs = annotate_secrets(from_struct(read.inputs), res.inputs) if read.HasField("inputs") \
                else res.inputs
            # Newer engines show the refresh as the diff an `up` of an unchanged program would then make.
            diff = self._diff(Resource(res.urn, res.type, read.id, inputs, outputs), res.inputs, preview=False)
            self.resources[res.urn] = Resource(res.urn, res.type, read.id, inputs, outputs)
            changed = sorted(k for k in {*res.outputs, *outputs}
                             if reveal(res.outputs.get(k)) != reveal(outputs.get(k)))
            steps.append(Step("refresh", res.urn, diff, changed))
        return steps

    def destroy(self) -> list[Step]:
        steps = []
        for res in reversed(list(self.resources.values())):
            self._delete(res)
            steps.append(Step("delete", res.urn))
        return steps

    def import_(self, goal: Goal, import_id: str) -> Step:
        """The `import_` resource option: Read with the id only (no state, no inputs), then Check and Diff against
        the program's inputs; any difference fails the import (pulumi/pulumi step.go, ImportStep.Apply)."""
        read = self._call("Read", goal.urn, provider_pb2.ReadRequest(
            id=import_id, urn=goal.urn, name=goal.name, type=goal.type), provider_pb2.ReadResponse)
        if not read.id or not read.HasField("inputs"):
            raise EngineError("Read", goal.urn, f"resource '{import_id}' does not exist" if not read.id else
                              "provider does not support importing resources")
        found = Resource(goal.urn, goal.type, read.id, from_struct(read.inputs), from_struct(read.properties))
        checked = self._check(goal, found.inputs, preview=False)
        diff = self._diff(found, checked, preview=False)
        if diff.changes != DIFF.DIFF_NONE:
            raise EngineError("Diff", goal.urn, f"inputs to import do not match the existing resource: "
                                                f"{list(diff.diffs)}")
        self.resources[goal.urn] = Resource(goal.urn, goal.type, read.id, checked, found.outputs)
        return Step("import", goal.urn, diff)

    # ---- steps -----------------------------------------------------------------------------------------------
    def _deploy(self, goals: list[Goal], preview: bool) -> list[Step]:
        steps = []
        for goal in goals:
            old = self.resources.get(goal.urn)
            checked = self._check(goal, old.inputs if old else {}, preview)
            if old is None:
                if not preview:
                    self._create(goal, checked)
                steps.append(Step("create", goal.urn))
                continue
            diff = self._diff(old, checked, preview)
            if diff.changes == DIFF.DIFF_NONE:
                op = "same"
                if not preview:
                    self.resources[goal.urn] = Resource(goal.urn, goal.type, old.id, checked, old.outputs)
            elif diff.replaces:
                op = "replace"
                if not preview:
                    self._replace(goal, old, diff)
            else:
                op = "update"
                if not preview:
                    self._update(goal, old, checked)
            steps.append(Step(op, goal.urn, diff))
        if not preview:                                  # what the program no longer declares goes
            wanted = {g.urn for g in goals}
            for res in reversed([r for r in self.resources.values() if r.urn not in wanted]):
                self._delete(res)
                steps.append(Step("delete", res.urn))
        return steps

    def _check(self, goal: Goal, olds: dict, preview: bool) -> dict:
        checked = self._call("Check", goal.urn, provider_pb2.CheckRequest(
            urn=goal.urn, name=goal.name, type=goal.type, olds=self._wire(olds, unknowns=preview),
            news=self._wire(goal.inputs, unknowns=preview), randomSeed=os.urandom(32)), provider_pb2.CheckResponse)
        if checked.failures:
            raise EngineError("Check", goal.urn, "one or more inputs failed to validate: " + "; ".join(
                f"{f.property}: {f.reason}" for f in checked.failures))
        return self._secret_like(from_struct(checked.inputs), goal.inputs)

    def _diff(self, old: Resource, news: dict, preview: bool) -> provider_pb2.DiffResponse:
        diff = self._call("Diff", old.urn, provider_pb2.DiffRequest(
            id=old.id, urn=old.urn, name=_name(old.urn), type=old.type, olds=self._wire(old.outputs, unknowns=preview),
            old_inputs=self._wire(old.inputs, unknowns=preview), news=self._wire(news, unknowns=preview)),
            provider_pb2.DiffResponse)
        if diff.changes == DIFF.DIFF_UNKNOWN:            # the engine then compares the inputs itself
            diff.changes = DIFF.DIFF_SOME if reveal(old.inputs) != reveal(news) else DIFF.DIFF_NONE
        return diff

    def _create(self, goal: Goal, checked: dict) -> None:
        created = self._call("Create", goal.urn, provider_pb2.CreateRequest(
            urn=goal.urn, name=goal.name, type=goal.type, properties=self._wire(checked)), provider_pb2.CreateResponse)
        outputs = mark_secret(self._secret_like(from_struct(created.properties), checked),
                              goal.additional_secret_outputs)
        self.resources[goal.urn] = Resource(goal.urn, goal.type, created.id, checked, outputs)

    def _update(self, goal: Goal, old: Resource, checked: dict) -> None:
        updated = self._call("Update", goal.urn, provider_pb2.UpdateRequest(
            id=old.id, urn=goal.urn, name=goal.name, type=goal.type, olds=self._wire(old.outputs),
            news=self._wire(checked), old_inputs=self._wire(old.inputs)), provider_pb2.UpdateResponse)
        outputs = mark_secret(self._secret_like(from_struct(updated.properties), checked),
                              goal.additional_secret_outputs)
        self.resources[goal.urn] = Resource(goal.urn, goal.type, old.id, checked, outputs)

    def _replace(self, goal: Goal, old: Resource, diff: provider_pb2.DiffResponse) -> None:
        checked = self._check(goal, {}, preview=False)   # a replacement is a new resource: checked without olds
        if diff.deleteBeforeReplace:
            self._delete(old)
            self._create(goal, checked)
        else:
            self._create(goal, checked)
            self._call("Delete", old.urn, self._delete_request(old), empty_pb2.Empty)

    def _delete(self, res: Resource) -> None:
        self._call("Delete", res.urn, self._delete_request(res), empty_pb2.Empty)
        self.resources.pop(res.urn, None)

    def _delete_request(self, res: Resource) -> provider_pb2.DeleteRequest:
        return provider_pb2.DeleteRequest(id=res.id, urn=res.urn, name=_name(res.urn), type=res.type,
                                          properties=self._wire(res.outputs), old_inputs=self._wire(res.inputs))

    # ---- marshalling -----------------------------------------------------------------------------------------
    def _wire(self, props: dict, *, unknowns: bool = False) -> struct_pb2.Struct:
        return to_struct(props, keep_secrets=self.server.accept_secrets, keep_unknowns=unknowns)

    def _secret_like(self, outs: dict, ins: dict) -> dict:
        # A provider that refused secrets gets them stripped; the engine marks same-named results secret again.
        return outs if self.server.accept_secrets else annotate_secrets(outs, ins)

    def _call(self, method: str, urn: str, request: Any, response_type: Any) -> Any:
        return self.server.call(method, request, response_type, urn)

    # ---- views -----------------------------------------------------------------------------------------------
    def plaintext_state(self) -> bytes:
        """The state as the engine would write it with secrets encrypted: ids, inputs, outputs, secrets elided."""
        return json.dumps([{"urn": r.urn, "id": r.id, "inputs": redact(r.inputs), "outputs": redact(r.outputs)}
                           for r in self.resources.values()], sort_keys=True).encode()


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def ops(steps: list[Step], op: Optional[str] = None) -> Any:
    """{urn name: op} for all steps, or the names with `op`."""
    if op is None:
        return {_name(s.urn): s.op for s in steps}
    return [_name(s.urn) for s in steps if s.op == op]

