"""tlsProfile and searchTarget from the stack config to what is deployed: the gateway's nginx.conf in
its ConfigMap, and the V1 API (which answers `docker search`) on the targeted repository only."""
from __future__ import annotations

import re

import pytest

from tests.support.stack import run_program

DYN = "pulumi-python:dynamic/nexus:"
SEARCH_LINE = re.compile(r'^\s*"~\^\(\?:GET\|HEAD\) \(\?:docker\\\.io\)\? /v1/\(\?:_ping\|search\)\$" registry_(\w+);$',
                         re.M)


def deployed(overrides: dict) -> tuple[str, bool, bool]:
    run = run_program("dev", overrides)
    conf = run.one("kubernetes:core/v1:ConfigMap").plain["data"]["nginx.conf"]
    return (conf, run.one(f"{DYN}DockerHostedRepository").plain["v1_enabled"],
            run.one(f"{DYN}DockerGroupRepository").plain["v1_enabled"])


@pytest.mark.parametrize("overrides,search,protocols,v1", [
    ({}, "hosted", "TLSv1.2 TLSv1.3", (True, False)),
    ({"searchTarget": "group", "tlsProfile": "modern", "certValidityHours": 2160, "certEarlyRenewalHours": 720},
     "group", "TLSv1.3", (False, True)),
])
def test_keys_reach_the_gateway_and_the_repositories(overrides, search, protocols, v1):
    conf, hosted_v1, group_v1 = deployed(overrides)
    assert SEARCH_LINE.findall(conf) == [search]
    assert re.findall(r"^\s*ssl_protocols ([^;]+);", conf, re.M) == [protocols]
    assert (hosted_v1, group_v1) == v1
