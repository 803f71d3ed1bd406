"""Input checking shared by every Nexus resource (pure: no I/O, no Pulumi wiring), tested directly.

- validators: value in, normalised value out, `InvalidValue(reason)` on a bad value;
- `Field` tables (declared per object family in `*_payloads.py`), `check_inputs` (validate, normalise, fill
  defaults), `diff_inputs` (which keys changed, which force a replacement) and `inputs_from_outs` (what a refresh
  implies), all in the normalised form the read normalisers produce, so a refresh shows real drift only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence
from urllib.parse import urlparse

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

# Nexus' repository / blob store name pattern (NamePatternConstants; the spec's `name.pattern`).
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9\-]{1}[a-zA-Z0-9_\-\.]*$")


JETTY_PORT = 8081                                   # Nexus' own connector; the port registry refuses it
SOFT_QUOTA_TYPES = ("spaceRemainingQuota", "spaceUsedQuota")
_REQUIRED = object()


class InvalidValue(ValueError):
    """A value a validator refuses; the message is the reason (the field name and value are added by the caller)."""


def is_unknown(value: Any) -> bool:
    """True for Pulumi's preview placeholder, also inside lists and dicts (values not known until apply).

    The engine sends it as the UNKNOWN string; the SDK's provider server hands check() and diff() a
    `pulumi.output.Unknown` instead (it deserializes with keep_unknowns)."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, (list, tuple)):
        return any(is_unknown(v) for v in value)
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    return False


def nexus_url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("the Nexus base URL is missing; set the `nexusUrl` stack config key "
                           "(pulumi config set nexusUrl http://HOST:PORT) or let the program derive it")
    parsed = urlparse(value.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidValue("must be an http:// or https:// URL with a host, e.g. http://10.0.0.5:30081 "
                           "(check the `nexusUrl` stack config key)")
    if parsed.username or parsed.password:
        raise InvalidValue("must not carry credentials; the admin password comes from the `adminPassword` "
                           "stack config key")
    if parsed.query or parsed.fragment:
        raise InvalidValue("must not have a query or fragment")
    try:
        parsed.port
    except ValueError as exc:
        raise InvalidValue(f"has an invalid port ({exc})") from None
    return value.strip().rstrip("/")


def remote_url(value: Any) -> str:
    parsed = urlparse(value) if isinstance(value, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidValue("must be an http:// or https:// URL with a host")
    return value


def object_name(value: Any) -> str:
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        raise InvalidValue(f"must match Nexus' name pattern {NAME_PATTERN.pattern} (letters, digits, '-', '_', "
                           "'.'; not starting with '_' or '.')")
    return value


def optional_name(value: Any) -> Optional[str]:
    return None if value in (None, "") else object_name(value)


def non_empty_string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("must be a non-empty string")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue("must be true or false")
    return value


def _integer(value: Any) -> int:
    # Numbers cross the Pulumi RPC boundary as floats: accept 9897.0, refuse 9897.5 and booleans.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise InvalidValue("must be an integer")
    return int(value)


integer = _integer                                 # public name for the other payload modules


def port_or_none(value: Any) -> Optional[int]:
    if value is None:
        return None
    port = _integer(value)
    if not 1 <= port <= 65535:
        raise InvalidValue("must be a TCP port between 1 and 65535")
    if port == JETTY_PORT:
        raise InvalidValue(f"{JETTY_PORT} is Nexus' own web port (Jetty); choose another connector port")
    return port


def max_age_minutes(value: Any) -> int:
    minutes = _integer(value)
    if minutes < -1:
        raise InvalidValue("must be minutes >= 0, or -1 for 'never expires'")
    return minutes


def choice(options: Sequence[str], *, to_case: Callable[[str], str]) -> Callable[[Any], str]:
    """A case-insensitive enum validator returning the value in its canonical case."""
    def validate(value: Any) -> str:
        if not isinstance(value, str) or to_case(value) not in options:
            raise InvalidValue(f"must be one of {', '.join(options)}")
        return to_case(value)
    return validate


def soft_quota(value: Any) -> Optional[dict]:
    if value is None:
        return None
    # The limit is in BYTES: Nexus compares it with bytes (its UI converts MB before posting), whatever its API
    # documentation says; and it refuses a zero limit ("quotas must have a Quota Limit greater than 0").
    if not isinstance(value, Mapping) or set(value) - {"type", "limit"}:
        raise InvalidValue('must be {"type": "spaceRemainingQuota"|"spaceUsedQuota", "limit": <bytes>}')
    if value.get("type") not in SOFT_QUOTA_TYPES:
        raise InvalidValue(f"type must be one of {', '.join(SOFT_QUOTA_TYPES)}")
    limit = _integer(value.get("limit"))
    if limit <= 0:
        raise InvalidValue("limit must be > 0 (bytes)")
    return {"type": value["type"], "limit": limit}


def unique_list(item: Callable[[Any], Any], what: str) -> Callable[[Any], list]:
    """A non-empty, duplicate-free, ordered list whose items pass `item`."""
    def validate(value: Any) -> list:
        if not isinstance(value, (list, tuple)) or not value:
            raise InvalidValue(f"must be a non-empty list of {what}")
        items = []
        for v in value:
            try:
                items.append(item(v))
            except InvalidValue as exc:
                raise InvalidValue(f"item {v!r}: {exc}") from None
        if len({i.lower() for i in items}) != len(items):
            raise InvalidValue(f"must not repeat {what} (Nexus compares names ignoring case)")
        return items
    return validate


@dataclass(frozen=True)
class Field:
    """One resource input: how to validate it, its default, and whether changing it needs a replacement."""
    key: str
    validate: Callable[[Any], Any]
    default: Any = _REQUIRED          # a callable default receives the inputs checked so far
    replaces: bool = False            # Nexus refuses the change through its API (rename, blob store move)
    fold_case: bool = False           # Nexus matches the value ignoring case (names, enums)
    secret: bool = False              # a credential: never shown in a check failure

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def default_for(self, inputs: Mapping[str, Any]) -> Any:
        return self.default(inputs) if callable(self.default) else self.default


URL_FIELD = Field("nexus_url", nexus_url)
NAME_FIELD = Field("name", object_name, replaces=True, fold_case=True)


def check_inputs(fields: Iterable[Field], news: Mapping[str, Any],
                 cross_check: Optional[Callable[[Mapping[str, Any]], list]] = None
                 ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Validate and normalise `news`; return (inputs, [(key, reason)]). Unknown (preview) values pass as they are.

    Only the declared keys are returned, so output-only keys seeded with None never become inputs.
    """
    inputs: dict[str, Any] = {}
    failures: list[tuple[str, str]] = []
    for field in fields:
        value = news.get(field.key)
        if value is None and not field.required:
            value = field.default_for(inputs)
        if is_unknown(value):
            inputs[field.key] = value
            continue
        if value is None and field.required:
            failures.append((field.key, f"{field.key} is required"))
            continue
        try:
            inputs[field.key] = field.validate(value)
        except InvalidValue as exc:
            shown = "****" if field.secret else repr(redacted(value))
            failures.append((field.key, f"{field.key}: {exc} (got {shown})"))
            inputs[field.key] = value
    if not failures and cross_check is not None:
        failures.extend(cross_check(inputs))
    return inputs, failures


def redacted(value: Any) -> Any:
    # A URL with user:password@ is refused; the refusal must not echo the password.
    return re.sub(r"(?<=://)[^/@\s]*@", "***@", value) if isinstance(value, str) else value


def diff_inputs(fields: Iterable[Field], olds: Mapping[str, Any], news: Mapping[str, Any]
                ) -> tuple[list[str], list[str]]:
    """(changed keys, keys whose change needs a replacement). Unknown new values count as changed."""
    changed = [f.key for f in fields
               if is_unknown(news.get(f.key))
               or _comparable(olds.get(f.key), f.fold_case) != _comparable(news.get(f.key), f.fold_case)]
    replace_keys = {f.key for f in fields if f.replaces}
    return changed, [k for k in changed if k in replace_keys]


def from_wire(value: Any) -> Any:
    """A value as it came through Pulumi's RPC boundary, with its whole numbers made integers again.

    The engine carries every number as a double (google.protobuf.Value.number_value): an input that check() made
    9897 reaches create/update/read as 9897.0, and Nexus' API takes JSON integers there. No input is fractional.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (list, tuple)):
        return [from_wire(v) for v in value]
    if isinstance(value, Mapping):
        return {k: from_wire(v) for k, v in value.items()}
    return value


def _comparable(value: Any, fold_case: bool) -> Any:
    # A case-only difference in a name or enum is no drift (Nexus ignores it); numbers may arrive as floats.
    if isinstance(value, str) and fold_case:
        return value.lower()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (list, tuple)):
        return [_comparable(v, fold_case) for v in value]
    if isinstance(value, Mapping):
        return {k: _comparable(v, fold_case) for k, v in value.items()}
    return value


def inputs_from_outs(fields: Iterable[Field], outs: Mapping[str, Any]) -> dict:
    """The inputs a refreshed object implies (what `read` reports so the next diff sees drift)."""
    return {f.key: outs.get(f.key) for f in fields}
