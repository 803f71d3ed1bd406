"""Blob stores and docker repositories: Field tables, request builders (our inputs -> the JSON bodies
Nexus 3.94 accepts, complete so they validate against the spec) and read normalisers (Nexus GET bodies ->
our outs). Pure: no I/O, no Pulumi wiring.
"""
from __future__ import annotations

from typing import Any, Mapping

from components.nexus_config.fields import (
    NAME_FIELD,
    URL_FIELD,
    Field,
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
NEGATIVE_CACHE = {"enabled": True, "timeToLive": 1440}
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
