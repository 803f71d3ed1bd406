"""The SDK's dynamic-provider server, started and configured the way the Pulumi engine does it.

A `pulumi up` never calls a dynamic provider's methods itself: the engine starts the `pulumi-resource-pulumi-python`
plugin, a shell script that runs `<venv>/bin/python -u -m pulumi.dynamic <engine address>` from the project root
(the CLI's environment plus PULUMI_PROJECT, PULUMI_RUNTIME_<OPTION> and PULUMI_CONFIG, the venv's bin first on PATH,
PYTHONHOME unset), and talks gRPC to it. `ProviderServer` does the same, serves the engine's own gRPC service
(`pulumirpc.Engine`: Log, …) at the address it passes, and sends Handshake, GetPluginInfo and Configure (all stack
config, keys namespaced, secrets wrapped) as the engine does (pulumi/pulumi `provider_plugin.go`, `target.go`,
`sdk/python/dist/pulumi-resource-pulumi-python`; see ../shared/docs/pulumi-engine.md).

Every request, answer and error is kept as raw bytes (`calls`), with the engine log messages (`logs`) and all the
process printed (`output()`), so that tests can look for secrets in everything that comes back.
"""
from __future__ import annotations

import base64
import os
import subprocess
import threading
import uuid
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, plugin_pb2, provider_pb2

from tests.support.engine_wire import Secret, from_struct, reveal, to_struct
from tests.support.stack import PROJECT, ROOT, project_file

PROVIDER_KEY = "__provider"
PLUGIN_PACKAGE = "pulumi-python"
CALL_TIMEOUT = 60.0                  # seconds per gRPC call: a hung provider fails the test instead of blocking it
START_TIMEOUT = 30.0


@dataclass
class Call:
    method: str
    urn: str
    request: bytes
    response: Optional[bytes] = None
    error: Optional[str] = None


class EngineError(Exception):
    """A failed step, worded as `pulumi up` reports it: the resource, the call, and the provider's message."""

    def __init__(self, method: str, urn: str, details: str):
        self.method, self.urn, self.details = method, urn, details
        super().__init__(f"{method} of {urn or 'the provider'} failed: {details}")


class ProviderImportError(EngineError):
    """The server could not import the provider class named in `__provider` (from the project root)."""


# The engine's gRPC service: the provider's logs arrive here.
class _EngineService(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[engine_pb2.LogRequest] = []
        self.root = ""

    def Log(self, request, context):
        self.logs.append(request)
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request, context):
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()

    def RequirePulumiVersion(self, request, context):
        return engine_pb2.RequirePulumiVersionResponse()


def plugin_env(project: dict, root: Path) -> dict[str, str]:
    """The environment of the plugin process: the CLI's, the engine's additions, then the plugin script's edits."""
    env = {k: v for k, v in os.environ.items() if k not in ("PULUMI_STACK", "PULUMI_CONFIG_SECRET_KEYS")}
    options = (project.get("runtime") or {}).get("options") or {}
    env.update({f"PULUMI_RUNTIME_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in options.items()})
    env["PULUMI_PROJECT"] = project["name"]
    env["PULUMI_CONFIG"] = "{}"            # only `pulumi-python:` keys go here, and the project has none
    venv = Path(env["PULUMI_RUNTIME_VIRTUALENV"].rstrip("/"))
    env["PULUMI_RUNTIME_VIRTUALENV"] = str(venv if venv.is_absolute() else root / venv)
    env["PATH"] = f"{env['PULUMI_RUNTIME_VIRTUALENV']}/bin:{env.get('PATH', '')}"
    env.pop("PYTHONHOME", None)
    return env


class ProviderServer:
    """`python -m pulumi.dynamic` started and configured as the engine does; use as a context manager."""

    def __init__(self, stack: str, config: dict[str, str], secret_keys: list[str], *, root: Path = ROOT):
        self.stack, self.config, self.secret_keys, self.root = stack, config, set(secret_keys), root
        self.calls: list[Call] = []
        self.accept_secrets = False
        self.supports_preview = False
        self._engine = _EngineService()
        self._out = {"stdout": bytearray(), "stderr": bytearray()}
        self._port_line = threading.Event()

    # ---- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> "ProviderServer":
        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self._engine, self._grpc)
        self.engine_address = f"127.0.0.1:{self._grpc.add_insecure_port('127.0.0.1:0')}"
        self._grpc.start()
        env = plugin_env(project_file(), self.root)
        python = Path(env["PULUMI_RUNTIME_VIRTUALENV"]) / "bin" / "python"
        self.proc = subprocess.Popen([str(python), "-u", "-m", "pulumi.dynamic", self.engine_address], cwd=self.root,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        for name, stream in (("stdout", self.proc.stdout), ("stderr", self.proc.stderr)):
            threading.Thread(target=self._drain, args=(name, stream), daemon=True).start()
        try:
            self._connect()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._grpc.stop(grace=None)

    def _drain(self, name: str, stream) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            self._out[name].extend(chunk)
            if name == "stdout" and b"\n" in self._out[name]:
                self._port_line.set()

    def _connect(self) -> None:
        if not self._port_line.wait(START_TIMEOUT) or self.proc.poll() is not None:
            raise RuntimeError(f"the dynamic-provider server did not print its port (exit code {self.proc.poll()}):"
                               f"\n{self.output().decode(errors='replace')}")
        port = int(bytes(self._out["stdout"]).split(b"\n", 1)[0])
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self.channel).result(timeout=START_TIMEOUT)
        try:                               # newer engines ask first; a provider without it answers UNIMPLEMENTED
            handshake = provider_pb2.ProviderHandshakeRequest(engine_address=self.engine_address,
                                                              configure_with_urn=True)
            self.call("Handshake", handshake, provider_pb2.ProviderHandshakeResponse)
        except EngineError as err:
            if "UNIMPLEMENTED" not in err.details:
                raise
        self.call("GetPluginInfo", empty_pb2.Empty(), plugin_pb2.PluginInfo)
        configured = self.call("Configure", self.configure_request(), provider_pb2.ConfigureResponse)
        self.accept_secrets, self.supports_preview = configured.acceptSecrets, configured.supportsPreview

    def configure_request(self) -> provider_pb2.ConfigureRequest:
        """All stack config with namespaced keys (dynamic providers get every key), secrets wrapped; `variables`
        is the deprecated flat form, `<package>:config:<key>` with secrets removed."""
        args = {k: Secret(v) if k in self.secret_keys else v for k, v in self.config.items()}
        return provider_pb2.ConfigureRequest(
            variables={f"{PLUGIN_PACKAGE}:config:{k}": v for k, v in self.config.items()},
            args=to_struct(args, keep_secrets=True, keep_unknowns=True),
            acceptSecrets=True, acceptResources=True, sends_old_inputs=True, sends_old_inputs_to_delete=True,
            urn=f"urn:pulumi:{self.stack}::{PROJECT}::pulumi:providers:{PLUGIN_PACKAGE}::default",
            name="default", type=f"pulumi:providers:{PLUGIN_PACKAGE}", id=str(uuid.uuid4()))

    # ---- calls -----------------------------------------------------------------------------------------------
    def call(self, method: str, request: Any, response_type: Any, urn: str = "") -> Any:
        """One unary call; the raw answer is recorded. A gRPC error becomes an EngineError with the details."""
        raw_call = self.channel.unary_unary(f"/pulumirpc.ResourceProvider/{method}",
                                            request_serializer=lambda m: m.SerializeToString(),
                                            response_deserializer=None)
        record = Call(method, urn, request.SerializeToString())
        self.calls.append(record)
        try:
            raw = raw_call(request, timeout=CALL_TIMEOUT)
        except grpc.RpcError as err:
            record.error = f"{err.code().name}: {err.details()}"
            raise _engine_error(method, urn, record.error, self.root) from None
        record.response = raw
        return response_type.FromString(raw)

    def output(self) -> bytes:
        """Everything the server process wrote to stdout and stderr (the engine shows stderr to the user)."""
        return bytes(self._out["stdout"]) + bytes(self._out["stderr"])

    @property
    def logs(self) -> list[engine_pb2.LogRequest]:
        return self._engine.logs

    def calls_of(self, *methods: str) -> list[Call]:
        return [c for c in self.calls if c.method in methods]

    def exchanged(self, engine_secrets: tuple[str, ...] = ()) -> list[bytes]:
        """Every answer and error the server sent, raw, plus each `__provider` in them decoded from base64 (a
        pickle would hide a password from a plain byte search). `engine_secrets`: top-level properties left out of
        the answers because the engine marks them secret again (this SDK server refuses secrets, so a secret input
        comes back plain and `annotateSecrets` / additionalSecretOutputs wrap it before anything keeps or shows it).
        """
        found: list[bytes] = []
        for c in self.calls:
            if c.response is not None:
                found.append(_without(c.method, c.response, engine_secrets))
                found.extend(_decoded_providers(c.method, c.response))
            if c.error is not None:
                found.append(c.error.encode())
        return found


def _engine_error(method: str, urn: str, details: str, root: Path) -> EngineError:
    # The SDK server answers any exception with UNKNOWN and the traceback; an unimportable provider module fails
    # while `get_provider` deserializes `__provider`.
    lines = [ln for ln in details.strip().splitlines() if ln.strip()]
    if "get_provider" in details and lines and ("ModuleNotFoundError" in lines[-1] or "ImportError" in lines[-1]):
        return ProviderImportError(method, urn, f"the provider class in `__provider` cannot be imported by the "
                                                f"provider process (working directory {root}): {lines[-1]}")
    return EngineError(method, urn, details)


# The answers that carry properties, and where.
_PROPERTIES = {"Check": (provider_pb2.CheckResponse, ("inputs",)),
               "Create": (provider_pb2.CreateResponse, ("properties",)),
               "Update": (provider_pb2.UpdateResponse, ("properties",)),
               "Read": (provider_pb2.ReadResponse, ("properties", "inputs"))}


def _without(method: str, raw: bytes, keys: tuple[str, ...]) -> bytes:
    message, fields = _PROPERTIES.get(method, (None, ()))
    if not keys or message is None:
        return raw
    parsed = message.FromString(raw)
    for name in fields:
        for key in keys:
            getattr(parsed, name).fields.pop(key, None)
    return parsed.SerializeToString()


def _decoded_providers(method: str, raw: bytes) -> list[bytes]:
    message, fields = _PROPERTIES.get(method, (None, ()))
    parsed = message.FromString(raw) if message else None
    values = [reveal(from_struct(getattr(parsed, f))).get(PROVIDER_KEY) for f in fields]
    return [base64.b64decode(v) for v in values if isinstance(v, str)]
