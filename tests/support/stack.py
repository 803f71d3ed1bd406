"""Run __main__.py under Pulumi mocks with a stack's config, as `pulumi up` would, and record
every resource it registers and every stack output (value and secretness).

The config is assembled the way the CLI does it: Pulumi.yaml defaults and types, then
Pulumi.<stack>.yaml values, then test overrides; secret keys are marked as the CLI marks them.
"""
from __future__ import annotations

import asyncio
import base64
import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dill
import pulumi
import yaml
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "nexus-registry"
SECRET_SIG = "4dabf18193072939515e22adb298388d"   # Pulumi's secret wrapper signature key
TEST_PASSWORD = "S3cret-Test-Passw0rd!"


def project_file() -> dict:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text())


def stack_file(stack: str) -> dict:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()) or {}


def _type_ok(decl: dict, value: Any) -> bool:
    kind = decl["type"]
    if kind == "array":
        return isinstance(value, list) and all(_type_ok(decl["items"], v) for v in value)
    return {"string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool)}[kind](value)


def _raw(value: Any) -> str:
    """The string the language host sees: JSON for arrays/objects, true/false, plain text otherwise."""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def stack_config(stack: str, overrides: dict | None = None,
                 secrets: dict | None = None) -> tuple[dict[str, str], list[str]]:
    """(config, secret keys) with full `project:key` names, as the CLI hands them to the program.

    `secrets` are set as with `pulumi config set --secret`; adminPassword gets TEST_PASSWORD unless given.
    Type mismatches against Pulumi.yaml raise as the CLI would.
    """
    decls = project_file()["config"]
    values: dict[str, Any] = {}
    stack_values = {k.split(":", 1)[1]: v for k, v in stack_file(stack).get("config", {}).items()}
    secret_values = {"adminPassword": TEST_PASSWORD, **(secrets or {})}
    for key, decl in decls.items():
        if "default" in decl:
            values[key] = decl["default"]
    values.update(stack_values)
    values.update(overrides or {})
    values.update({k: v for k, v in secret_values.items() if v is not None})
    for key, value in values.items():
        if key in decls and value is not None and not _type_ok(decls[key], value):
            raise TypeError(f"Stack '{stack}' with configuration key '{key}' must be of type '{decls[key]['type']}'")
    config = {f"{PROJECT}:{k}": _raw(v) for k, v in values.items() if v is not None}
    secret_keys = [f"{PROJECT}:{k}" for k in secret_values if secret_values[k] is not None]
    return config, secret_keys


@dataclass
class Registered:
    typ: str
    name: str
    inputs: dict          # as the engine received them: secrets still wrapped
    custom: bool
    options: dict = field(default_factory=dict)   # parent URN, retainOnDelete, dependencies, …
    wire: bytes = b""     # the inputs exactly as RegisterResource carried them (a serialized protobuf Struct)

    @property
    def plain(self) -> dict:
        return unwrap(self.inputs)

    @property
    def pickled_provider(self) -> bytes:
        """A dynamic resource's `__provider` input as the pickle bytes the state keeps."""
        return base64.b64decode(unwrap(self.inputs["__provider"]))

    @property
    def provider(self) -> Any:
        """The provider instance as the engine's provider process unpickles it."""
        return dill.loads(self.pickled_provider)


@dataclass
class ProgramRun:
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, name: str | None = None) -> Registered:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def types(self) -> set[str]:
        return {r.typ for r in self.resources}

    def by_urn(self, urn: str) -> Registered | None:
        return next((r for r in self.resources if r.options.get("urn") == urn), None)

    def children(self, parent: Registered) -> list[Registered]:
        return [r for r in self.resources if r.options.get("parent") == parent.options.get("urn")]

    def kubernetes_objects(self) -> list[Registered]:
        return [r for r in self.resources if r.typ.startswith("kubernetes:")]


def unwrap(value: Any) -> Any:
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return unwrap(value.get("value"))
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def plain_occurrences(value: Any, needle: str, path: str = "") -> list[str]:
    """Paths where `needle` occurs in a string that is NOT inside a secret wrapper."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return []
        return [p for k, v in value.items() for p in plain_occurrences(v, needle, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in plain_occurrences(v, needle, f"{path}[{i}]")]
    return [path or "."] if isinstance(value, str) and needle in value else []


class RecordingMonitor(MockMonitor):
    """Keeps the resource options the engine would see (the Mocks API does not pass them on)."""

    def __init__(self, mocks: "RecordingMocks"):
        super().__init__(mocks)
        self.mocks_ref = mocks

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            timeouts = request.customTimeouts
            registered = next(r for r in reversed(self.mocks_ref.run.resources)
                              if r.typ == request.type and r.name == request.name)
            registered.wire = request.object.SerializeToString()
            registered.options = {
                "urn": response.urn,
                "parent": request.parent,
                "retain_on_delete": request.retainOnDelete,
                "protect": request.protect,
                "dependencies": list(request.dependencies),
                "additional_secret_outputs": list(request.additionalSecretOutputs),
                "custom_timeouts": {"create": timeouts.create, "update": timeouts.update,
                                    "delete": timeouts.delete} if timeouts else {},
            }
        return response


MOCK_CERT_NOT_AFTER = "2027-12-05T00:19:21.5Z"   # what pulumi_tls reports as the server certificate's end


def mock_password(resource_name: str) -> str:
    """The password a LocalUser's provider would generate, as the mocks answer it."""
    return f"generated-pw-for-{resource_name}"


class RecordingMocks(pulumi.runtime.Mocks):
    """Echo inputs back as state and add the computed outputs the program reads.

    In a preview every resource is one `pulumi preview` would create: its id is not known yet.
    """

    def __init__(self, run: ProgramRun, preview: bool = False, outputs: dict | None = None):
        self.run = run
        self.preview = preview
        self.outputs = outputs or {}          # resource name -> outputs its provider gives back (see run_program)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.run.resources.append(Registered(args.typ, args.name, args.inputs, bool(args.custom)))
        state = dict(args.inputs)
        computed = {
            "tls:index/privateKey:PrivateKey": {"privateKeyPem": f"-----BEGIN PRIVATE KEY-----{args.name}"},
            "tls:index/selfSignedCert:SelfSignedCert": {"certPem": f"-----BEGIN CERTIFICATE-----{args.name}\n"},
            "tls:index/locallySignedCert:LocallySignedCert": {"certPem": f"-----BEGIN CERTIFICATE-----{args.name}\n",
                                                              "validityEndTime": MOCK_CERT_NOT_AFTER},
            "tls:index/certRequest:CertRequest": {"certRequestPem": f"-----BEGIN CERTIFICATE REQUEST-----{args.name}"},
            # the provider generates it on create; the program only ever passes it on as a secret
            "pulumi-python:dynamic/nexus:LocalUser": {"password": mock_password(args.name)},
        }.get(args.typ, {})
        state.update(computed)
        state.update(self.outputs.get(args.name, {}))
        if args.typ.startswith("kubernetes:"):
            md = dict(state.get("metadata") or {})
            md.setdefault("name", args.name)
            md.setdefault("namespace", "default")
            state["metadata"] = md
        return ("" if self.preview else f"{args.name}-id"), state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def run_program(stack: str = "dev", overrides: dict | None = None, secrets: dict | None = None,
                preview: bool = False, outputs: dict | None = None) -> ProgramRun:
    """Run __main__.py for `stack` under mocks; raises what the program raises (e.g. SettingsError).

    `preview`: as `pulumi preview` of a stack that has no resources yet (ids and what derives from them unknown).
    `outputs`: resource name -> outputs its provider answers with instead of echoing the inputs (what `pulumi up`
    hands the program after a create that took over an existing object, e.g. the blob store it really uses).
    """
    config, secret_keys = stack_config(stack, overrides, secrets)
    run = ProgramRun()
    runtime_settings.reset_options(project=PROJECT, stack=stack)
    pulumi.runtime.set_all_config(config, secret_keys)
    mocks = RecordingMocks(run, preview, outputs)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=RecordingMonitor(mocks))
    errors: list[BaseException] = []

    async def collect() -> None:
        for name, value in list(runtime_settings.get_root_resource().outputs.items()):
            out = pulumi.Output.from_input(value)
            run.outputs[name] = await out.future()
            if await out.is_secret():
                run.secret_outputs.add(name)

    @pulumi.runtime.test
    def program():
        try:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        except BaseException as e:  # surfaced after the runtime settles
            errors.append(e)
            return None
        return pulumi.Output.from_input(asyncio.ensure_future(collect()))

    program()
    if errors:
        errors[0].program_run = run   # lets tests check what was registered before the failure
        raise errors[0]
    return run
