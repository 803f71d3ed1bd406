"""Housekeeping: the scheduled Nexus tasks that keep the registry's disk in check (a `HousekeepingTasks` dynamic
resource, provider in housekeeping.py): compact every blob store, delete unreferenced docker layers and manifests
(hosted; the proxy and the mirror proxies too when they have a cleanup policy) and abandoned uploads, on one Quartz
schedule. The cleanup policies themselves belong to the repositories (DockerRepoSet)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi

from components.nexus_config import housekeeping_payloads as hp
from components.nexus_config.housekeeping import HousekeepingTasks


@dataclass(frozen=True)
class HousekeepingArgs:
    nexus_url: pulumi.Input[str]
    blob_stores: pulumi.Input[Sequence[str]]
    hosted: pulumi.Input[str]
    cron: str
    proxy: Optional[pulumi.Input[str]] = None        # GC the proxy too (only when it has a cleanup policy) ...
    proxy_keep_hours: int = hp.DEFAULT_OFFSET_HOURS   # ... keeping what it cached within this many hours
    mirror_proxies: pulumi.Input[Sequence[str]] = ()  # the mirrors' proxies, GC'd like `proxy` (given with it)
    depends_on: Sequence[pulumi.Resource] = ()        # the repositories and blob stores the tasks name


class Housekeeping(pulumi.ComponentResource):
    scheduled: pulumi.Output[list]

    def __init__(self, name: str, args: HousekeepingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nexus-registry:index:Housekeeping", name, None, opts)
        tasks = pulumi.Output.all(args.blob_stores, args.hosted, args.proxy, args.mirror_proxies).apply(
            lambda v: hp.housekeeping_tasks(v[0], v[1], v[2], args.proxy_keep_hours, v[3] if v[2] else ()))
        resource = HousekeepingTasks(f"{name}-tasks", nexus_url=args.nexus_url, tasks=tasks, cron=args.cron,
                                     opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)))
        self.scheduled = resource.scheduled
        self.register_outputs({"scheduled": self.scheduled})
