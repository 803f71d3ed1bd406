"""Pure translation between our snake_case resource inputs and Nexus REST bodies (no I/O, no Pulumi wiring).

Three kinds of functions live here, all tested directly:
- input checking: `Field` tables per resource, `check_inputs` (validate, normalise, fill defaults) and
  `diff_inputs` (which keys changed, which force a replacement);
- request builders: our inputs -> the JSON bodies Nexus 3.94 accepts (complete, so they validate against the spec);
- read normalisers: Nexus GET bodies -> our outs, in the same normalised form `check_inputs` produces, so that
  comparing a refreshed object with the program's inputs shows real drift only.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence
from urllib.parse import urlparse

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

# Nexus' repository / blob store name pattern (NamePatternConstants; the spec's `name.pattern`).
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9\-]{1}[a-zA-Z0-9_\-\.]*$")
JETTY_PORT = 8081                                   # Nexus' own connector; the port registry refuses it
WRITE_POLICIES = ("allow", "allow_once", "deny")    # our spelling; Nexus gets them uppercase
DOCKER_INDEX_TYPES = ("HUB", "REGISTRY", "CUSTOM")
SOFT_QUOTA_TYPES = ("spaceRemainingQuota", "spaceUsedQuota")
DEFAULT_MAX_AGE_MINUTES = 1440                      # Nexus' own read default for proxy cache ages
NEGATIVE_CACHE = {"enabled": True, "timeToLive": 1440}
ANONYMOUS_USER = "anonymous"
ANONYMOUS_REALM = "NexusAuthorizingRealm"
# Never deactivated by a destroy: without it the admin user itself can no longer log in.
LOCAL_AUTH_REALM = "NexusAuthenticatingRealm"

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


# --------------------------------------------------------------------------------------------------------------
# Validators: value in, normalised value out, InvalidValue(reason) on a bad value.

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
    if not isinstance(value, Mapping) or set(value) - {"type", "limit"}:
        raise InvalidValue('must be {"type": "spaceRemainingQuota"|"spaceUsedQuota", "limit": <MB>}')
    if value.get("type") not in SOFT_QUOTA_TYPES:
        raise InvalidValue(f"type must be one of {', '.join(SOFT_QUOTA_TYPES)}")
    limit = _integer(value.get("limit"))
    if limit < 0:
        raise InvalidValue("limit must be >= 0 (MB)")
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


# --------------------------------------------------------------------------------------------------------------
# Field tables, check and diff.

@dataclass(frozen=True)
class Field:
    """One resource input: how to validate it, its default, and whether changing it needs a replacement."""
    key: str
    validate: Callable[[Any], Any]
    default: Any = _REQUIRED          # a callable default receives the inputs checked so far
    replaces: bool = False            # Nexus refuses the change through its API (rename, blob store move)
    fold_case: bool = False           # Nexus matches the value ignoring case (names, enums)

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def default_for(self, inputs: Mapping[str, Any]) -> Any:
        return self.default(inputs) if callable(self.default) else self.default


URL_FIELD = Field("nexus_url", nexus_url)
NAME_FIELD = Field("name", object_name, replaces=True, fold_case=True)
DOCKER_FIELDS = (
    Field("http_port", port_or_none, None),
    Field("force_basic_auth", boolean, False),
    Field("v1_enabled", boolean, False),
    Field("strict_content_type_validation", boolean, True),
    Field("online", boolean, True),
)
_REPO_HEAD = (URL_FIELD, NAME_FIELD, Field("blob_store", object_name, replaces=True, fold_case=True))

BLOB_STORE_FIELDS = (URL_FIELD, NAME_FIELD,
                     Field("path", non_empty_string, lambda inputs: inputs.get("name")),
                     Field("soft_quota", soft_quota, None))
HOSTED_FIELDS = _REPO_HEAD + DOCKER_FIELDS + (
    Field("write_policy", choice(WRITE_POLICIES, to_case=str.lower), "allow", fold_case=True),)
PROXY_FIELDS = _REPO_HEAD + DOCKER_FIELDS + (
    Field("remote_url", remote_url),
    Field("docker_index", choice(DOCKER_INDEX_TYPES, to_case=str.upper), "HUB", fold_case=True),
    Field("index_url", lambda v: None if v is None else remote_url(v), None),
    Field("content_max_age", max_age_minutes, DEFAULT_MAX_AGE_MINUTES),
    Field("metadata_max_age", max_age_minutes, DEFAULT_MAX_AGE_MINUTES),
)
GROUP_FIELDS = _REPO_HEAD + DOCKER_FIELDS + (
    Field("members", unique_list(object_name, "repository names"), fold_case=True),
    Field("writable_member", optional_name, None, fold_case=True),
)
REALMS_FIELDS = (URL_FIELD, Field("realms", unique_list(non_empty_string, "realm ids")))
ANONYMOUS_FIELDS = (URL_FIELD, Field("enabled", boolean, False))
EULA_FIELDS = (URL_FIELD, Field("accepted", boolean, False))


def proxy_cross_check(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    index, url = inputs.get("docker_index"), inputs.get("index_url")
    if is_unknown(index) or is_unknown(url):
        return []
    if index == "CUSTOM" and not url:
        return [("index_url", "index_url is required when docker_index is CUSTOM")]
    if index != "CUSTOM" and url:
        return [("index_url", f"index_url is only used with docker_index CUSTOM (got docker_index {index})")]
    return []


def group_cross_check(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    writable, members = inputs.get("writable_member"), inputs.get("members")
    if not writable or is_unknown(writable) or is_unknown(members) or not isinstance(members, list):
        return []
    if writable.lower() not in {m.lower() for m in members}:
        return [("writable_member", f"writable_member {writable!r} must be one of members {members}")]
    return []


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
            failures.append((field.key, f"{field.key}: {exc} (got {redacted(value)!r})"))
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


# --------------------------------------------------------------------------------------------------------------
# Request builders (inputs -> Nexus bodies).

def blob_store_create_request(inputs: Mapping[str, Any]) -> dict:
    return {"name": inputs["name"], **blob_store_update_request(inputs)}


def blob_store_update_request(inputs: Mapping[str, Any]) -> dict:
    body: dict[str, Any] = {"path": inputs["path"]}
    if inputs.get("soft_quota"):
        body["softQuota"] = dict(inputs["soft_quota"])
    return body


def _docker_attributes(inputs: Mapping[str, Any]) -> dict:
    docker: dict[str, Any] = {"v1Enabled": inputs["v1_enabled"], "forceBasicAuth": inputs["force_basic_auth"]}
    if inputs.get("http_port") is not None:      # sent only when set (an absent port means no connector)
        docker["httpPort"] = inputs["http_port"]
    return docker


def _repository_request(inputs: Mapping[str, Any], **sections: Any) -> dict:
    return {
        "name": inputs["name"],
        "online": inputs["online"],
        "storage": {"blobStoreName": inputs["blob_store"],
                    "strictContentTypeValidation": inputs["strict_content_type_validation"]},
        "docker": _docker_attributes(inputs),
        **sections,
    }


def hosted_request(inputs: Mapping[str, Any]) -> dict:
    body = _repository_request(inputs)
    body["storage"]["writePolicy"] = inputs["write_policy"].upper()
    return body


def proxy_request(inputs: Mapping[str, Any]) -> dict:
    docker_proxy: dict[str, Any] = {"indexType": inputs["docker_index"]}
    if inputs["docker_index"] == "CUSTOM":      # HUB and REGISTRY derive the index from the remote
        docker_proxy["indexUrl"] = inputs["index_url"]
    return _repository_request(
        inputs,
        proxy={"remoteUrl": inputs["remote_url"], "contentMaxAge": inputs["content_max_age"],
               "metadataMaxAge": inputs["metadata_max_age"]},
        negativeCache=dict(NEGATIVE_CACHE),
        httpClient={"blocked": False, "autoBlock": True},
        dockerProxy=docker_proxy,
    )


def group_request(inputs: Mapping[str, Any]) -> dict:
    group: dict[str, Any] = {"memberNames": list(inputs["members"])}
    if inputs.get("writable_member"):            # Pro-only; a non-PRO server refuses the field
        group["writableMember"] = inputs["writable_member"]
    return _repository_request(inputs, group=group)


def anonymous_request(current: Mapping[str, Any], enabled: bool) -> dict:
    """The whole settings object with only `enabled` changed (PUT replaces it)."""
    return {"enabled": enabled,
            "userId": current.get("userId") or ANONYMOUS_USER,
            "realmName": current.get("realmName") or ANONYMOUS_REALM}


# --------------------------------------------------------------------------------------------------------------
# Read normalisers (Nexus GET bodies -> our outs).

def blob_store_outs(name: str, body: Mapping[str, Any]) -> dict:
    # The GET has no name field; it comes from the URL (as in gnc). softQuota may be absent or null.
    return {"name": name, "path": body.get("path"), "soft_quota": soft_quota(body.get("softQuota") or None)}


def _repository_outs(body: Mapping[str, Any]) -> dict:
    storage, docker = body.get("storage") or {}, body.get("docker") or {}
    return {
        "name": body.get("name"),
        "blob_store": storage.get("blobStoreName"),
        "strict_content_type_validation": storage.get("strictContentTypeValidation", True),
        "online": body.get("online"),
        "http_port": docker.get("httpPort"),     # absent or null when no connector
        "force_basic_auth": docker.get("forceBasicAuth"),
        "v1_enabled": docker.get("v1Enabled"),
        "url": body.get("url"),
    }


def hosted_outs(body: Mapping[str, Any]) -> dict:
    # Nexus stores writePolicy as sent (UI-created repositories read back uppercase); ALLOW when absent.
    policy = ((body.get("storage") or {}).get("writePolicy") or "ALLOW").lower()
    return {**_repository_outs(body), "write_policy": policy}


def proxy_outs(body: Mapping[str, Any]) -> dict:
    proxy, docker_proxy = body.get("proxy") or {}, body.get("dockerProxy") or {}
    index_type = (docker_proxy.get("indexType") or "HUB").upper()
    return {
        **_repository_outs(body),
        "remote_url": proxy.get("remoteUrl"),
        "docker_index": index_type,
        "index_url": docker_proxy.get("indexUrl") if index_type == "CUSTOM" else None,
        "content_max_age": proxy.get("contentMaxAge", DEFAULT_MAX_AGE_MINUTES),
        "metadata_max_age": proxy.get("metadataMaxAge", DEFAULT_MAX_AGE_MINUTES),
    }


def group_outs(body: Mapping[str, Any]) -> dict:
    group = body.get("group") or {}
    # writableMember is omitted unless set (@JsonInclude(NON_NULL)); only Pro can set it.
    return {**_repository_outs(body), "members": list(group.get("memberNames") or []),
            "writable_member": group.get("writableMember") or None}


def anonymous_outs(body: Mapping[str, Any]) -> dict:
    return {"enabled": bool(body.get("enabled")), "user_id": body.get("userId"), "realm_name": body.get("realmName")}


def eula_outs(body: Optional[Mapping[str, Any]]) -> dict:
    """GET /v1/system/eula -> outs; None (404: no EULA endpoint, i.e. PRO, or OSS before 3.77) -> nothing to accept.

    Only a digest of the disclaimer is kept: it shows when Sonatype changes the text, without storing it in state.
    """
    if body is None:
        return {"accepted": None, "required": False, "disclaimer_sha256": None}
    disclaimer = body.get("disclaimer") or ""
    return {"accepted": bool(body.get("accepted")), "required": True,
            "disclaimer_sha256": hashlib.sha256(disclaimer.encode()).hexdigest()}


def eula_request(body: Mapping[str, Any]) -> dict:
    """The acceptance: the disclaimer goes back exactly as Nexus sent it (any other text is refused with a 500)."""
    return {"accepted": True, "disclaimer": body.get("disclaimer")}


def eula_changes(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The changed keys of a `CommunityEula`. `accepted` counts only when acceptance is asked for and Nexus has a
    EULA that is not accepted: `accepted: false` means "do not accept for me", not "revoke", so an acceptance made
    in the UI satisfies it, and a server without a EULA (`required` false) has nothing to change."""
    changed = [k for k in diff_inputs(EULA_FIELDS, olds, news)[0] if k != "accepted"]
    wanted = news.get("accepted")
    if is_unknown(wanted) or (wanted is True and olds.get("required") is not False
                              and olds.get("accepted") is not True):
        changed.append("accepted")
    return changed


def inputs_from_outs(fields: Iterable[Field], outs: Mapping[str, Any]) -> dict:
    """The inputs a refreshed object implies (what `read` reports so the next diff sees drift)."""
    return {f.key: outs.get(f.key) for f in fields}


# --------------------------------------------------------------------------------------------------------------
# Active realms: add what is missing, remember what we added, give back only that.

def plan_realms(active: Sequence[str], requested: Sequence[str], owned: Sequence[str] = ()
                ) -> tuple[list[str], list[str]]:
    """(new active list, realms this resource owns afterwards).

    Realms already active stay where they are; requested realms that are missing are appended in the requested
    order. A realm counts as ours when we activated it, now or earlier (`owned`). Realms we own that are no longer
    requested are deactivated again; realms somebody else activated are never touched.
    """
    released = [r for r in owned if r not in requested]
    kept = release_realms(active, released)
    new_active = kept + [r for r in requested if r not in kept]
    now_owned = [r for r in requested if r in owned or r not in active]
    return new_active, now_owned


def release_realms(active: Sequence[str], owned: Sequence[str]) -> list[str]:
    """The active list without the realms we own; the local authenticating realm always stays (admin login)."""
    return [r for r in active if r not in owned or r == LOCAL_AUTH_REALM]
