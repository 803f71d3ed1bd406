"""Value parsers and checks for stack config values: each returns the parsed value or raises
ValueError(reason); `parse_settings` (config.py) adds the key and the bad value to the reason."""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlparse

from components.gateway.nginx_conf import SEARCH_TARGETS

# Nexus' repository / blob store name pattern (NamePatternConstants).
NEXUS_NAME_RE = re.compile(r"^[a-zA-Z0-9\-]{1}[a-zA-Z0-9_\-\.]*$")


DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE_RE = re.compile(r"^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
DNS_NAME_RE = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$")
QUANTITY_RE = re.compile(r"^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")
HEAP_RE = re.compile(r"^(\d+)([mMgG])$")
IMAGE_RE = re.compile(r"^(?P<repo>[a-z0-9][a-z0-9._/:-]*?)(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(@(?P<digest>sha256:[0-9a-f]{64}))?$")
DOCKER_HOST_RE = re.compile(r"^(?P<user>[a-z_][a-z0-9_.-]*)@(?P<host>[^:@\s]+)(:(?P<port>\d+))?$")
NEXUS_JETTY_PORT = 8081          # Nexus' own web port; a connector cannot reuse it
MIN_NEXUS_VERSION = (3, 76)      # NEXUS_SECURITY_INITIAL_PASSWORD arrived in 3.76
# gatewayDrainSeconds: the pod's grace period. The gateway's preStop delay and a safety margin come out of
# it (components/gateway/manifests.py); the lower bound leaves nginx at least 15 s to finish transfers.
GATEWAY_DRAIN_RANGE = (30, 86400)
DEFAULT_NEXUS_PASSWORD = "admin123"
NEXUS_USER_ID_MAX = 200          # a longer user id makes Nexus answer 500 (observed on 3.76.1)
NEXUS_BUILTIN_USERS = ("admin", "anonymous")
ROTATION_MAX = 100
BINARY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}


@dataclass(frozen=True)
class DockerHost:
    user: str
    host: str
    port: int = 22

    @property
    def label(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


def as_bool(raw: str) -> bool:
    low = raw.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    raise ValueError("must be true or false")


def as_int(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError("must be an integer") from None


def as_list(raw: str) -> list[str]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ValueError("must be a list (YAML sequence)") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    return value


def quantity_bytes(raw: str) -> float:
    """A Kubernetes resource quantity as a number (bytes for memory, cores for CPU)."""
    m = QUANTITY_RE.match(raw)
    if not m:
        raise ValueError("must be a Kubernetes quantity such as 512Mi, 10Gi or 500m")
    number, suffix = float(m.group(1)), m.group(3) or ""
    return number * (BINARY_UNITS[suffix] if suffix in BINARY_UNITS else _DECIMAL[suffix])


def heap_bytes(raw: str) -> int:
    m = HEAP_RE.match(raw)
    if not m:
        raise ValueError("must be a JVM size such as 1g or 2703m")
    return int(m.group(1)) * (2**30 if m.group(2).lower() == "g" else 2**20)


def parse_image(raw: str) -> str:
    m = IMAGE_RE.match(raw)
    if not m or not (m.group("tag") or m.group("digest")):
        raise ValueError("must be a pinned image reference, repository:tag or repository@sha256:…")
    if m.group("tag") == "latest" and not m.group("digest"):
        raise ValueError("'latest' is not a pinned tag")
    return raw


def nexus_version(image: Optional[str]) -> Optional[tuple[int, int]]:
    """(major, minor) of a Nexus image tag such as 3.94.0 or 3.77.1-01; None for a digest or another tag."""
    m = IMAGE_RE.match(image or "")
    version = re.match(r"^(\d+)\.(\d+)", (m.group("tag") if m else None) or "")
    return (int(version[1]), int(version[2])) if version else None


def parse_nexus_image(raw: str) -> str:
    parse_image(raw)
    version = nexus_version(raw)
    if version and version < MIN_NEXUS_VERSION:
        raise ValueError("Nexus >= 3.76 is required (NEXUS_SECURITY_INITIAL_PASSWORD sets the admin password)")
    return raw


def parse_ip(raw: str) -> str:
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise ValueError("is not an IP address") from None


def parse_dns_name(raw: str) -> str:
    if not DNS_NAME_RE.match(raw):
        raise ValueError("is not a DNS name")
    return raw.lower()


def parse_port(raw: int) -> int:
    if not 1 <= raw <= 65535:
        raise ValueError("must be a port between 1 and 65535")
    return raw


def parse_url(raw: str) -> str:
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("must be an http:// or https:// URL")
    return raw.rstrip("/")


def parse_node_port_range(raw: str) -> tuple[int, int]:
    m = re.match(r"^(\d+)-(\d+)$", raw.strip())
    if not m or not (1 <= int(m.group(1)) < int(m.group(2)) <= 65535):
        raise ValueError("must be a port range such as 30000-32767")
    return int(m.group(1)), int(m.group(2))


def parse_docker_host(raw: str) -> DockerHost:
    m = DOCKER_HOST_RE.match(raw.strip())
    if not m:
        raise ValueError("must be user@host or user@host:sshport")
    port = int(m.group("port") or 22)
    parse_port(port)
    return DockerHost(user=m.group("user"), host=m.group("host"), port=port)


def check_name(value: str) -> str:
    if not NEXUS_NAME_RE.match(value):
        raise ValueError("must match Nexus' name pattern ^[a-zA-Z0-9\\-]{1}[a-zA-Z0-9_\\-\\.]*$")
    return value


def check_namespace(value: str) -> str:
    if not DNS_LABEL_RE.match(value):
        raise ValueError("must be a DNS-1123 label (lowercase letters, digits, '-')")
    return value


def check_object_name(value: str) -> str:
    """A Kubernetes object name such as a Secret's: a DNS-1123 subdomain."""
    if not DNS_SUBDOMAIN_RE.match(value):
        raise ValueError("must be a DNS-1123 subdomain (lowercase letters, digits, '-', '.'; at most 253)")
    return value


def check_node_name(value: str) -> str:
    """A node name as the pod's nodeSelector holds it: a `kubernetes.io/hostname` label value (or empty: any node)."""
    if value and not LABEL_VALUE_RE.match(value):
        raise ValueError("must be a node's kubernetes.io/hostname label value (letters, digits, '-', '_', '.'; "
                         "at most 63; see kubectl get nodes -L kubernetes.io/hostname)")
    return value


def check_storage_class(value: str) -> str:
    if value and not DNS_NAME_RE.match(value):
        raise ValueError("must be empty or a StorageClass name")
    return value


def check_host_path(value: str) -> str:
    if value and not value.startswith("/"):
        raise ValueError("must be an absolute path")
    return value


def check_positive_quantity(value: str) -> str:
    if quantity_bytes(value) <= 0:
        raise ValueError("must be greater than zero")
    return value


def check_positive(value: int) -> int:
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


def check_drain_seconds(value: int) -> int:
    low, high = GATEWAY_DRAIN_RANGE
    if not low <= value <= high:
        raise ValueError(f"must be between {low} and {high} seconds (a 10 s preStop delay and a 5 s margin "
                         "come out of it before nginx's worker_shutdown_timeout)")
    return value


def check_user_id(value: str) -> str:
    """A Nexus local user id: Nexus' name pattern (ApiCreateUser's @Pattern), at most 200 characters, not a
    built-in user."""
    if not NEXUS_NAME_RE.match(value):
        raise ValueError("must match Nexus' user id pattern ^[a-zA-Z0-9\\-]{1}[a-zA-Z0-9_\\-\\.]*$ (letters, "
                         "digits, '-', '_', '.'; not starting with '_' or '.')")
    if len(value) > NEXUS_USER_ID_MAX:
        raise ValueError(f"must be at most {NEXUS_USER_ID_MAX} characters")
    if value.lower() in NEXUS_BUILTIN_USERS:
        raise ValueError("is a Nexus built-in user; choose another name")
    return value


def check_privilege_repository(value: str) -> str:
    """A repository name that role privileges can name. Nexus builds `nx-repository-view-docker-<name>-<action>`
    from the stored name verbatim and compares privilege ids case-sensitively, while docker repository names are
    documented lowercase: a name with capitals could give a privilege id Nexus never made."""
    if value != value.lower():
        raise ValueError(f"must be lowercase for the push/pull roles: their privileges (e.g. "
                         f"nx-repository-view-docker-{value}-read) must be exactly the ones Nexus creates for "
                         f"the repository, and docker repository names are lowercase")
    return value


def check_rotation(value: str) -> str:
    if not value.strip() or value != value.strip():
        raise ValueError("must be a non-empty string without leading or trailing spaces, e.g. 2026-05-01")
    if len(value) > ROTATION_MAX:
        raise ValueError(f"must be at most {ROTATION_MAX} characters")
    return value


def check_search_target(value: str) -> str:
    if value not in SEARCH_TARGETS:
        raise ValueError(f"must be {' or '.join(SEARCH_TARGETS)} (the repository that answers docker search)")
    return value
