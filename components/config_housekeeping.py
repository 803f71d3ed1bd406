"""The stack keys of issue 9 (Docker Hub credentials, negative cache, cleanup, tasks, soft quota): their typed
settings and their rules, read through parse_settings' reader so every problem is reported with the others.

Pure like config.py: raw config strings in, frozen dataclasses out. The value parsers (`parse_soft_quota`,
`check_docker_id`, `check_token`) raise ValueError(reason); the reader adds the key and the value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from components.config_values import BINARY_UNITS
from components.quartz_cron import housekeeping_cron

if TYPE_CHECKING:                                   # config.py imports this module; no cycle at run time
    from components.config_reader import Secret

# A Docker ID (4-30 lowercase letters and digits) or an organization name (organization access tokens).
DOCKER_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,254}$")
SIZE_RE = re.compile(r"^(?P<number>\d+(\.\d+)?)(?P<unit>Ki|Mi|Gi|Ti|Pi)$")
PERCENT_RE = re.compile(r"^(?P<number>\d+(\.\d+)?)%$")
USED, FREE = "spaceUsedQuota", "spaceRemainingQuota"
SOFT_QUOTA_FORMS = ("'80Gi' (warn when a blob store holds more), '80%' (the same, as a share of storageSize), "
                    "'20Gi free' (warn when less space is left on the volume), '10% free'")


@dataclass(frozen=True)
class DockerHubLogin:
    """Credentials the proxy repository sends to Docker Hub (100 pulls/hour instead of 10 anonymous)."""
    username: str
    token: "Secret"


@dataclass(frozen=True)
class SoftQuota:
    """A blob store soft quota as Nexus takes it: type and limit in BYTES (Nexus compares the limit with bytes,
    although its API documentation says MB). `spec` is the stack value it came from."""
    type: str
    limit: int
    spec: str

    def request(self) -> dict:
        return {"type": self.type, "limit": self.limit}


@dataclass(frozen=True)
class Housekeeping:
    proxy_cleanup_days: int = 30               # cached Docker Hub images not downloaded for that long (0 = keep)
    hosted_cleanup_days: int = 0               # your own images neither pushed nor pulled for that long (0 = keep)
    tasks: bool = True                         # create the scheduled tasks (key `housekeeping`)
    cron: str = "0 0 2 ? * SUN"                # when they run (Quartz)
    soft_quota: Optional[SoftQuota] = None


def check_docker_id(value: str) -> str:
    if "@" in value:
        raise ValueError("must be your Docker ID (the name shown at hub.docker.com), not an e-mail address")
    if not DOCKER_ID_RE.match(value):
        raise ValueError("must be a Docker ID or organization name: lowercase letters, digits, '-' and '_'")
    return value


def check_token(value: str) -> str:
    if value != value.strip() or any(c.isspace() for c in value):
        raise ValueError("contains whitespace (a newline pasted with the token?); set it again without it")
    return value


def check_days(value: int) -> int:
    if not 0 <= value <= 3650:
        raise ValueError("must be days between 0 (off) and 3650")
    return value


def check_minutes(value: int) -> int:
    if not 0 <= value <= 43200:
        raise ValueError("must be minutes between 0 (off) and 43200 (30 days)")
    return value


NO_VOLUME_SIZE = "a volume size, and with hostPath there is none (storageSize is unused): give a size such as 80Gi"
NO_BUCKET_SIZE = ("a volume size, and with blobStoreType=s3 the blobs live in the bucket, which has none (storageSize "
                  "holds only Nexus' database and logs): give a size such as 80Gi")


def parse_soft_quota(value: str, storage_bytes: Optional[float],
                     no_size: str = "a valid storageSize") -> Optional[SoftQuota]:
    """'' -> None; '80Gi' / '80%' -> spaceUsedQuota; '20Gi free' / '10% free' -> spaceRemainingQuota.

    Percentages are of `storage_bytes` (the storageSize key; None with hostPath, where no volume has a size, or when
    storageSize is invalid: `no_size` says which). A limit is always sent in bytes.
    """
    text = " ".join(value.split())
    if not text:
        return None
    amount, _, suffix = text.partition(" ")
    if suffix not in ("", "free"):
        raise ValueError(f"must be one of {SOFT_QUOTA_FORMS}")
    kind = FREE if suffix else USED
    size, percent = SIZE_RE.match(amount), PERCENT_RE.match(amount)
    if size:
        limit = int(float(size["number"]) * BINARY_UNITS[size["unit"]])
    elif percent:
        share = float(percent["number"])
        if not 0 < share < 100:
            raise ValueError("a percentage must be between 0 and 100 (exclusive)")
        if storage_bytes is None:
            raise ValueError(f"a percentage needs {no_size} (it is a share of it)")
        limit = int(storage_bytes * share / 100)
    elif amount.isdigit():
        raise ValueError(f"needs a unit, e.g. {amount}Gi (Nexus compares the limit with bytes; a bare number is "
                         "ambiguous: its API documentation says MB)")
    else:
        raise ValueError(f"must be one of {SOFT_QUOTA_FORMS}")
    if limit <= 0:
        raise ValueError("must be greater than zero (Nexus refuses a zero limit)")
    if storage_bytes is not None and limit >= storage_bytes:
        raise ValueError(f"must be below storageSize ({int(storage_bytes)} bytes): the volume never holds more, "
                         "so the quota would never warn")
    return SoftQuota(kind, limit, text)


def read_housekeeping(r: Any, storage_bytes: Optional[float], no_size: str = "a valid storageSize") -> dict:
    """The issue-9 part of Settings, as keyword arguments; problems go to the reader `r` (config_reader.ConfigReader)."""
    v = r.value
    username = v("dockerHubUsername")
    token = r.secret("dockerHubToken", v("dockerHubToken"))
    if username:
        username = r.checked("dockerHubUsername", username, check_docker_id)
    if token is not None:
        r.checked("dockerHubToken", token.reveal(), check_token)
    if username and token is None:
        r.fail("dockerHubToken", "", "is required with dockerHubUsername: create a read-only access token at "
               "hub.docker.com (Account settings > Personal access tokens) and set it with "
               "pulumi config set --secret dockerHubToken")
    if token is not None and not username:
        r.fail("dockerHubUsername", username, "is required with dockerHubToken (the Docker ID the token belongs to)")
    quota_spec = v("blobStoreSoftQuota")
    soft_quota = r.checked("blobStoreSoftQuota", quota_spec, lambda q: parse_soft_quota(q, storage_bytes, no_size)) \
        if quota_spec is not None else None
    return dict(
        docker_hub=DockerHubLogin(username, token) if username and token is not None else None,
        proxy_negative_cache_minutes=v("proxyNegativeCacheMinutes", check_minutes),
        housekeeping=Housekeeping(
            proxy_cleanup_days=v("proxyCleanupDays", check_days),
            hosted_cleanup_days=v("hostedCleanupDays", check_days),
            tasks=v("housekeeping"),
            cron=v("housekeepingCron", housekeeping_cron),
            soft_quota=soft_quota,
        ),
    )
