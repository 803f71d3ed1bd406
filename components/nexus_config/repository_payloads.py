"""Blob stores and docker repositories: Field tables, request builders (our inputs -> the JSON bodies
Nexus 3.94 accepts, complete so they validate against the spec) and read normalisers (Nexus GET bodies ->
our outs). Pure: no I/O, no Pulumi wiring.
"""
from __future__ import annotations

from typing import Any, Mapping

from components.nexus_config.adoption import ADOPT_FIELDS
from components.nexus_config.fields import (
    NAME_FIELD,
    URL_FIELD,
    Field,
    InvalidValue,
    boolean,
    choice,
    is_unknown,
    max_age_minutes,
    non_empty_string,
    object_name,
    optional_name,
    port_or_none,
    remote_url,
    soft_quota,
    unique_list,
)

WRITE_POLICIES = ("allow", "allow_once", "deny")    # our spelling; Nexus gets them uppercase
DOCKER_INDEX_TYPES = ("HUB", "REGISTRY", "CUSTOM")
DEFAULT_MAX_AGE_MINUTES = 1440                      # Nexus' own read default for proxy cache ages
DEFAULT_NEGATIVE_CACHE_MINUTES = 1440               # Nexus' own default; the stack sends proxyNegativeCacheMinutes
QUOTA_STATUS = "quotaStatus"                        # GET /v1/blobstores/{name}/quota-status, added by the provider
REMOTE_AUTH_TYPE = "username"                       # httpClient.authentication.type for a user + password/token
DOCKER_FIELDS = (
    Field("http_port", port_or_none, None),
    Field("force_basic_auth", boolean, False),
    Field("v1_enabled", boolean, False),
    Field("strict_content_type_validation", boolean, True),
    Field("online", boolean, True),
)
_REPO_HEAD = (URL_FIELD, NAME_FIELD, Field("blob_store", object_name, replaces=True, fold_case=True))



def minutes_or_off(value: Any) -> int:
    minutes = max_age_minutes(value)
    if minutes < 0:
        raise InvalidValue("must be minutes >= 0 (0 turns the negative cache off)")
    return minutes


def policy_names(value: Any) -> list:
    """Cleanup policy names, as a sorted list: Nexus keeps them in a set, so their order means nothing."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise InvalidValue("must be a list of cleanup policy names")
    names = [object_name(v) for v in value]
    if len(set(names)) != len(names):
        raise InvalidValue("must not repeat a policy name")
    return sorted(names)


CLEANUP_FIELD = Field("cleanup_policies", policy_names, [])
def repository_refs(value: Any) -> list:
    """The repositories a blob store is for: [{type: hosted|proxy|group, name}] (ours; never sent to Nexus)."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, Mapping) and v.get("type") in ("hosted", "proxy", "group") for v in value):
        raise InvalidValue('must be a list of {"type": "hosted"|"proxy"|"group", "name": <repository>}')
    return [{"type": v["type"], "name": object_name(v.get("name"))} for v in value]


BLOB_STORE_FIELDS = (URL_FIELD, NAME_FIELD,
                     Field("path", non_empty_string, lambda inputs: inputs.get("name")),
                     Field("soft_quota", soft_quota, None),
                     # With adopt_existing: not created when every repository it is for exists on another store.
                     Field("for_repositories", repository_refs, [])) + ADOPT_FIELDS
HOSTED_FIELDS = _REPO_HEAD + DOCKER_FIELDS + (
    Field("write_policy", choice(WRITE_POLICIES, to_case=str.lower), "allow", fold_case=True), CLEANUP_FIELD
) + ADOPT_FIELDS
PROXY_FIELDS = _REPO_HEAD + DOCKER_FIELDS + (
    Field("remote_url", remote_url),
    Field("docker_index", choice(DOCKER_INDEX_TYPES, to_case=str.upper), "HUB", fold_case=True),
    Field("index_url", lambda v: None if v is None else remote_url(v), None),
    Field("content_max_age", max_age_minutes, DEFAULT_MAX_AGE_MINUTES),
    Field("metadata_max_age", max_age_minutes, DEFAULT_MAX_AGE_MINUTES),
    Field("negative_cache_minutes", minutes_or_off, DEFAULT_NEGATIVE_CACHE_MINUTES),
    CLEANUP_FIELD,
    # Credentials for the remote (Docker Hub): the password/token is write-only in Nexus (never read back).
    Field("remote_username", lambda v: None if v in (None, "") else non_empty_string(v), None),
    Field("remote_password", lambda v: None if v in (None, "") else non_empty_string(v), None, secret=True),
) + ADOPT_FIELDS
GROUP_FIELDS = _REPO_HEAD + DOCKER_FIELDS + (
    Field("members", unique_list(object_name, "repository names"), fold_case=True),
    Field("writable_member", optional_name, None, fold_case=True),
) + ADOPT_FIELDS


def proxy_cross_check(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    index, url = inputs.get("docker_index"), inputs.get("index_url")
    if is_unknown(index) or is_unknown(url):
        return []
    if index == "CUSTOM" and not url:
        return [("index_url", "index_url is required when docker_index is CUSTOM")]
    if index != "CUSTOM" and url:
        return [("index_url", f"index_url is only used with docker_index CUSTOM (got docker_index {index})")]
    user, password = inputs.get("remote_username"), inputs.get("remote_password")
    if not is_unknown(user) and not is_unknown(password) and bool(user) != bool(password):
        missing = "remote_password" if user else "remote_username"
        return [(missing, f"{missing} is required when "
                          f"{'remote_username' if user else 'remote_password'} is set (both or neither)")]
    return []


def group_cross_check(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    writable, members = inputs.get("writable_member"), inputs.get("members")
    if not writable or is_unknown(writable) or is_unknown(members) or not isinstance(members, list):
        return []
    if writable.lower() not in {m.lower() for m in members}:
        return [("writable_member", f"writable_member {writable!r} must be one of members {members}")]
    return []


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
    body = {
        "name": inputs["name"],
        "online": inputs["online"],
        "storage": {"blobStoreName": inputs["blob_store"],
                    "strictContentTypeValidation": inputs["strict_content_type_validation"]},
        "docker": _docker_attributes(inputs),
        **sections,
    }
    if inputs.get("cleanup_policies"):              # hosted and proxy only; a group has no cleanup
        body["cleanup"] = {"policyNames": list(inputs["cleanup_policies"])}
    return body


def hosted_request(inputs: Mapping[str, Any]) -> dict:
    body = _repository_request(inputs)
    body["storage"]["writePolicy"] = inputs["write_policy"].upper()
    return body


def proxy_request(inputs: Mapping[str, Any]) -> dict:
    docker_proxy: dict[str, Any] = {"indexType": inputs["docker_index"]}
    if inputs["docker_index"] == "CUSTOM":      # HUB and REGISTRY derive the index from the remote
        docker_proxy["indexUrl"] = inputs["index_url"]
    http_client: dict[str, Any] = {"blocked": False, "autoBlock": True}
    if inputs.get("remote_username"):
        http_client["authentication"] = {"type": REMOTE_AUTH_TYPE, "username": inputs["remote_username"],
                                         "password": inputs["remote_password"]}
    minutes = inputs["negative_cache_minutes"]
    return _repository_request(
        inputs,
        proxy={"remoteUrl": inputs["remote_url"], "contentMaxAge": inputs["content_max_age"],
               "metadataMaxAge": inputs["metadata_max_age"]},
        negativeCache={"enabled": minutes > 0, "timeToLive": minutes},
        httpClient=http_client,
        dockerProxy=docker_proxy,
    )


def group_request(inputs: Mapping[str, Any]) -> dict:
    group: dict[str, Any] = {"memberNames": list(inputs["members"])}
    if inputs.get("writable_member"):            # Pro-only; a non-PRO server refuses the field
        group["writableMember"] = inputs["writable_member"]
    return _repository_request(inputs, group=group)


def blob_store_outs(name: str, body: Mapping[str, Any]) -> dict:
    # The GET has no name field; it comes from the URL (as in gnc). softQuota may be absent or null.
    quota = body.get("softQuota") or None
    if quota is not None:                        # as Nexus holds it: no validation on read (drift is shown)
        quota = {"type": quota.get("type"), "limit": quota.get("limit")}
    status = body.get(QUOTA_STATUS)
    return {"name": name, "path": body.get("path"), "soft_quota": quota,
            "quota_status": {"violation": bool(status.get("isViolation")), "message": status.get("message")}
            if status else None}


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


def _cleanup_outs(body: Mapping[str, Any]) -> list:
    return sorted((body.get("cleanup") or {}).get("policyNames") or [])     # "cleanup": null when none


def hosted_outs(body: Mapping[str, Any]) -> dict:
    # Nexus stores writePolicy as sent (UI-created repositories read back uppercase); ALLOW when absent.
    policy = ((body.get("storage") or {}).get("writePolicy") or "ALLOW").lower()
    return {**_repository_outs(body), "write_policy": policy, "cleanup_policies": _cleanup_outs(body)}


def proxy_outs(body: Mapping[str, Any]) -> dict:
    proxy, docker_proxy = body.get("proxy") or {}, body.get("dockerProxy") or {}
    auth = (body.get("httpClient") or {}).get("authentication") or {}
    index_type = (docker_proxy.get("indexType") or "HUB").upper()
    return {
        **_repository_outs(body),
        "remote_url": proxy.get("remoteUrl"),
        "docker_index": index_type,
        "index_url": docker_proxy.get("indexUrl") if index_type == "CUSTOM" else None,
        "content_max_age": proxy.get("contentMaxAge", DEFAULT_MAX_AGE_MINUTES),
        "metadata_max_age": proxy.get("metadataMaxAge", DEFAULT_MAX_AGE_MINUTES),
        "negative_cache_minutes": _negative_cache_outs(body.get("negativeCache")),
        "cleanup_policies": _cleanup_outs(body),
        # Nexus returns authentication without its password (write-only); the provider keeps that from state.
        "remote_username": auth.get("username") if auth.get("type") == REMOTE_AUTH_TYPE else None,
        "remote_password": None,
    }


def _negative_cache_outs(cache: Any) -> int:
    """Minutes Nexus keeps a "not found"; 0 when the negative cache is off (its ttl is then irrelevant)."""
    if not cache:
        return DEFAULT_NEGATIVE_CACHE_MINUTES            # the read default when the section is absent
    return int(cache.get("timeToLive", DEFAULT_NEGATIVE_CACHE_MINUTES)) if cache.get("enabled", True) else 0


def group_outs(body: Mapping[str, Any]) -> dict:
    group = body.get("group") or {}
    # writableMember is omitted unless set (@JsonInclude(NON_NULL)); only Pro can set it.
    return {**_repository_outs(body), "members": list(group.get("memberNames") or []),
            "writable_member": group.get("writableMember") or None}
