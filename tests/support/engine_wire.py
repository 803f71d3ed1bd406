"""The Pulumi engine's property values, and how it marshals them for a provider (tests/support/engine.py).

The engine keeps properties as a tree of null/bool/number/string/array/object with two wrappers: a secret and
the "computed" (unknown) placeholder. On the wire (google.protobuf.Struct) a number is always a double, a
secret is an object carrying the signature key, and an unknown is a sentinel string. Sources, in pulumi/pulumi:
`sdk/go/common/resource/plugin/rpc.go` (MarshalProperties) and `provider_plugin.go` (MarshalOptions per call,
`annotateSecrets`).

Here a property map is a plain dict; numbers stay floats (as in the engine's float64), a secret is `Secret(v)`
and an unknown is the sentinel string `UNKNOWN`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.rpc import UNKNOWN, _special_secret_sig, _special_sig_key

@dataclass(frozen=True)
class Secret:
    value: Any


def from_struct(struct: struct_pb2.Struct) -> dict:
    """Wire -> engine values: numbers as floats, secret objects as `Secret`."""
    return {k: _from_value(v) for k, v in struct.fields.items()}


def _from_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        fields = value.struct_value.fields
        if _special_sig_key in fields and fields[_special_sig_key].string_value == _special_secret_sig:
            return Secret(_from_value(fields["value"]))
        return from_struct(value.struct_value)
    if kind == "list_value":
        return [_from_value(v) for v in value.list_value.values]
    if kind in (None, "null_value"):
        return None
    return getattr(value, kind)           # number_value (a float), string_value, bool_value


def to_struct(props: dict, *, keep_secrets: bool, keep_unknowns: bool) -> struct_pb2.Struct:
    """Engine values -> wire, as MarshalProperties does with KeepSecrets / KeepUnknowns (RejectUnknowns otherwise)."""
    struct = struct_pb2.Struct()
    struct.update({k: _marshal(v, keep_secrets, keep_unknowns, k) for k, v in props.items()})
    return struct


def _marshal(value: Any, keep_secrets: bool, keep_unknowns: bool, path: str) -> Any:
    if isinstance(value, Secret):
        inner = _marshal(value.value, keep_secrets, keep_unknowns, path)
        return {_special_sig_key: _special_secret_sig, "value": inner} if keep_secrets else inner
    if value == UNKNOWN and not keep_unknowns:
        raise ValueError(f"unexpected unknown value at {path}: the engine rejects unknowns in this call")
    if isinstance(value, dict):
        return {k: _marshal(v, keep_secrets, keep_unknowns, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_marshal(v, keep_secrets, keep_unknowns, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def contains_secrets(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(contains_secrets(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secrets(v) for v in value)
    return False


def contains_unknowns(value: Any) -> bool:
    if isinstance(value, Secret):
        return contains_unknowns(value.value)
    if isinstance(value, dict):
        return any(contains_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknowns(v) for v in value)
    return value == UNKNOWN


def annotate_secrets(outs: dict, ins: dict) -> dict:
    """The engine's `annotateSecrets` for a provider that refused secrets: an output whose same-named input held a
    secret becomes secret (objects on both sides are followed key by key). Returns `outs`, changed in place."""
    for key, in_value in ins.items():
        if key not in outs:
            continue
        out_value = outs[key]
        if isinstance(out_value, dict) and isinstance(in_value, dict):
            annotate_secrets(out_value, in_value)
        elif not isinstance(out_value, Secret) and contains_secrets(in_value):
            outs[key] = Secret(out_value)
    return outs


def mark_secret(props: dict, keys: list[str]) -> dict:
    """`additionalSecretOutputs`: the listed outputs become secret."""
    for key in keys:
        if key in props and not isinstance(props[key], Secret):
            props[key] = Secret(props[key])
    return props


def reveal(value: Any) -> Any:
    """The value with every secret unwrapped (what a diff of plain values compares)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def redact(value: Any) -> Any:
    """The value as `pulumi stack output` / the state's plaintext would show it: secrets as '[secret]'."""
    if isinstance(value, Secret):
        return "[secret]"
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
