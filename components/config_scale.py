"""The stack keys of issue 18 that take Nexus past one node's disk: blob stores on S3 (or MinIO, Ceph RGW) and an
external PostgreSQL. Typed settings and their rules, read through parse_settings' reader so every problem is
reported with the others, before any resource.

Pure like config.py. The value parsers raise ValueError(reason); the reader adds the key and the value.
Facts (../shared/docs/migration-and-mirrors.md §4, sonatype/nexus-public): S3 blob stores are in Community
Edition; an external PostgreSQL is allowed in Community Edition since 3.77 (only multi-node is Pro); an S3 blob
store reports unlimited free space (S3BlobStoreMetricsPropertiesReader: Long.MAX_VALUE).
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import unquote, urlparse

from components.config_housekeeping import check_token
from components.config_values import nexus_version

if TYPE_CHECKING:                                   # config.py imports this module; no cycle at run time
    from components.config_reader import Secret

FILE, S3 = "file", "s3"
BLOB_STORE_TYPES = (FILE, S3)
MIN_DATABASE_VERSION = (3, 77)     # external PostgreSQL in Community Edition (Sonatype staff, nexus-public #581)
POSTGRESQL_PORT = 5432             # PgJDBC's default when the URL names none
HTTPS_PORT, HTTP_PORT = 443, 80
# The keys that only mean something with blobStoreType=s3 (s3ForcePathStyle is checked as a boolean below).
S3_TEXT_KEYS = ("s3Bucket", "s3Region", "s3Endpoint", "s3Prefix", "s3AccessKeyId", "s3SecretAccessKey")
DATABASE_KEYS = ("databaseUser", "databasePassword")
# S3 bucket names (AWS' rules, which MinIO and Ceph RGW follow): 3-63 lowercase letters, digits, '.', '-'.
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
REGION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
ACCESS_KEY_RE = re.compile(r"^[A-Za-z0-9+/=_.-]{3,128}$")
# jdbc:postgresql://host[:port][,host[:port]...]/database[?key=value&...] (PgJDBC's Driver.parseURL): hosts are
# DNS names, IPv4 addresses or [IPv6] addresses. The local forms (jdbc:postgresql:db, jdbc:postgresql:/) have no
# host and mean nothing inside a pod.
JDBC_PREFIX = "jdbc:postgresql://"
HOST_PORT_RE = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:(?P<port>\d{1,5}))?$")
DATABASE_NAME_MAX = 63             # NAMEDATALEN - 1 bytes
ROLE_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$.@-]{0,62}$")
REFUSED_URL_PARAMS = {"user": "databaseUser", "password": "databasePassword"}


@dataclass(frozen=True)
class S3Storage:
    """Where the blob stores live with blobStoreType=s3; without keys Nexus uses the pod's IAM role (the AWS SDK's
    default credential chain: EKS Pod Identity or IRSA, else the node's instance profile)."""
    bucket: str
    region: str
    endpoint: str = ""                      # empty: AWS itself
    force_path_style: bool = False
    prefix: str = ""                        # normalised as Nexus stores it (no leading/trailing or double '/')
    access_key_id: str = ""
    secret_access_key: Optional["Secret"] = None

    @property
    def uses_iam_role(self) -> bool:
        return not self.access_key_id

    @property
    def egress_ports(self) -> tuple[int, ...]:
        """Where Nexus connects for the bucket: the endpoint's port (443 on AWS), and with the IAM role 80 too
        (the instance metadata service and the EKS Pod Identity agent answer on link-local port 80)."""
        ports = {endpoint_port(self.endpoint) if self.endpoint else HTTPS_PORT}
        if self.uses_iam_role:
            ports |= {HTTP_PORT, HTTPS_PORT}                 # 443: STS for IRSA's web identity token
        return tuple(sorted(ports))

    def store_prefix(self, store: str) -> str:
        """The key prefix of one blob store: Nexus refuses two stores of one bucket whose prefixes overlap
        (S3BlobStoreDescriptor#validateOverlappingBucketWithConfiguration), so each gets its own below s3Prefix."""
        return "/".join(p for p in (self.prefix, store) if p)


@dataclass(frozen=True)
class ExternalDatabase:
    """Nexus' database on an external PostgreSQL (NEXUS_DATASTORE_NEXUS_JDBCURL/USERNAME/PASSWORD)."""
    url: str
    user: str
    password: "Secret"

    @property
    def ports(self) -> tuple[int, ...]:
        return jdbc_ports(self.url)


def endpoint_port(url: str) -> int:
    parsed = urlparse(url)
    return parsed.port or (HTTPS_PORT if parsed.scheme == "https" else HTTP_PORT)


def check_blob_store_type(value: str) -> str:
    if value not in BLOB_STORE_TYPES:
        raise ValueError(f"must be {' or '.join(BLOB_STORE_TYPES)}")
    return value


def check_bucket(value: str) -> str:
    if not BUCKET_RE.match(value) or ".." in value:
        raise ValueError("must be an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-', starting and "
                         "ending with a letter or digit")
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return value
    raise ValueError("must be an S3 bucket name, not an IP address")


def check_region(value: str) -> str:
    if not REGION_RE.match(value):
        raise ValueError("must be a region name such as eu-west-1 (MinIO and Ceph RGW: the region they are "
                         "configured with, often us-east-1)")
    return value


def check_endpoint(value: str) -> str:
    if not value:
        return value
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("must be empty (AWS) or the http:// or https:// URL of an S3-compatible service, e.g. "
                         "http://minio.minio.svc:9000")
    if parsed.username or parsed.password or parsed.query or parsed.fragment or parsed.path not in ("", "/"):
        raise ValueError("must be a bare service URL (scheme, host, port): no path, query or credentials "
                         "(those go in s3AccessKeyId / s3SecretAccessKey)")
    try:
        parsed.port
    except ValueError as exc:
        raise ValueError(f"has an invalid port ({exc})") from None
    return value.rstrip("/")


def normalise_prefix(value: str) -> str:
    """As Nexus stores it (S3BlobStoreDescriptor#sanitizeConfig): stripped of '/' and spaces, '//' collapsed."""
    if any(c.isspace() for c in value.strip()) or "\\" in value:
        raise ValueError("must be an S3 key prefix without spaces or backslashes, e.g. nexus or registry/nexus")
    return re.sub(r"/+", "/", value.strip().strip("/ "))


def check_access_key_id(value: str) -> str:
    if not ACCESS_KEY_RE.match(value):
        raise ValueError("must be an access key id: 3-128 letters, digits or + / = _ . - (no spaces)")
    return value


def jdbc_hosts(url: str) -> list[tuple[str, int]]:
    """The (host, port) pairs of a jdbc:postgresql:// URL (already checked)."""
    authority = url[len(JDBC_PREFIX):].split("/", 1)[0]
    pairs = []
    for item in authority.split(","):
        m = HOST_PORT_RE.match(item)
        pairs.append((m["host"].strip("[]"), int(m["port"] or POSTGRESQL_PORT)))
    return pairs


def jdbc_ports(url: str) -> tuple[int, ...]:
    return tuple(sorted({port for _, port in jdbc_hosts(url)}))


def check_database_url(value: str) -> str:
    """A URL PostgreSQL's JDBC driver accepts (Driver.parseURL), with a host Nexus' pod can reach, a database, and
    no credentials in it (they come from databaseUser / databasePassword, through a Secret)."""
    if not value.startswith(JDBC_PREFIX):
        raise ValueError("must be a PostgreSQL JDBC URL: jdbc:postgresql://HOST[:PORT]/DATABASE[?key=value&...]")
    rest = value[len(JDBC_PREFIX):]
    authority, slash, path_query = rest.partition("/")
    if not slash:
        raise ValueError("needs /DATABASE after the host: jdbc:postgresql://HOST[:PORT]/DATABASE")
    for item in authority.split(","):
        m = HOST_PORT_RE.match(item)
        if not m:
            raise ValueError(f"has a bad host {item!r}: a DNS name, IPv4 address or [IPv6] address, with an "
                             "optional :PORT (several hosts separated by ',')")
        if m["host"].startswith("["):
            try:
                ipaddress.IPv6Address(m["host"][1:-1])
            except ValueError:
                raise ValueError(f"has a bad IPv6 address {m['host']!r}") from None
        if m["port"] is not None and not 1 <= int(m["port"]) <= 65535:
            raise ValueError(f"has a port outside 1-65535 ({m['port']})")
    database, _, query = path_query.partition("?")
    if not database:
        raise ValueError("names no database: jdbc:postgresql://HOST[:PORT]/DATABASE (e.g. /nexus)")
    name = unquote(database)
    if "/" in name or len(name.encode()) > DATABASE_NAME_MAX:
        raise ValueError(f"has a bad database name {name!r} (at most {DATABASE_NAME_MAX} bytes, no '/')")
    for pair in filter(None, query.split("&")):
        key = unquote(pair.partition("=")[0])
        if not key:
            raise ValueError(f"has a parameter without a name ({pair!r}); parameters are key=value joined by '&'")
        if key in REFUSED_URL_PARAMS:
            raise ValueError(f"must not carry {key}=: the URL is stored in plain text; set "
                             f"{REFUSED_URL_PARAMS[key]} instead")
    return value


def redact_url(url: str) -> str:
    """The URL with any password= value masked (a refused URL is echoed in the error)."""
    return re.sub(r"(?i)([?&]password=)[^&]*", r"\1****", url)


def check_role_name(value: str) -> str:
    if not ROLE_NAME_RE.match(value):
        raise ValueError("must be a PostgreSQL role name: a letter or '_' first, then letters, digits, '_', '$', "
                         "'.', '@' or '-'; at most 63 characters")
    return value


def read_scale(r: Any, host_path: Optional[str], nexus_image: Optional[str]) -> dict:
    """The issue-18 part of Settings, as keyword arguments; problems go to the reader `r`."""
    v = r.value
    store_type = v("blobStoreType", check_blob_store_type)
    force_path_style = v("s3ForcePathStyle")
    raw = {k: v(k) for k in S3_TEXT_KEYS if k != "s3SecretAccessKey"}
    secret = r.secret("s3SecretAccessKey", v("s3SecretAccessKey"))
    s3 = None
    if store_type == S3:
        s3 = _read_s3(r, raw, secret, force_path_style, host_path)
    elif store_type == FILE:
        for key in S3_TEXT_KEYS:
            if raw.get(key) or (key == "s3SecretAccessKey" and secret is not None):
                r.fail(key, raw.get(key, "****"), "is only used with blobStoreType=s3 "
                                                  "(pulumi config set blobStoreType s3)")
        if force_path_style:
            r.fail("s3ForcePathStyle", True, "is only used with blobStoreType=s3")
    return dict(blob_store_type=store_type or FILE, s3=s3, database=_read_database(r, nexus_image))


def _read_s3(r: Any, raw: dict, secret: Optional["Secret"], force_path_style: bool,
             host_path: Optional[str]) -> Optional[S3Storage]:
    problems = len(r.problems)
    if host_path:
        r.fail("hostPath", host_path, "must be empty with blobStoreType=s3: the blobs live in the bucket, and "
                                      "Nexus' database and logs belong on a PersistentVolumeClaim (storageSize), "
                                      "not on one node's directory")
    for key, what in (("s3Bucket", "the bucket the blob stores live in"),
                      ("s3Region", "the bucket's region (MinIO and Ceph RGW: the region they are configured "
                                   "with, often us-east-1)")):
        if not raw[key]:
            r.fail(key, raw[key], f"is required with blobStoreType=s3: {what}")
    bucket = r.checked("s3Bucket", raw["s3Bucket"], check_bucket) if raw["s3Bucket"] else None
    region = r.checked("s3Region", raw["s3Region"], check_region) if raw["s3Region"] else None
    endpoint = r.checked("s3Endpoint", raw["s3Endpoint"], check_endpoint)
    prefix = r.checked("s3Prefix", raw["s3Prefix"], normalise_prefix)
    key_id = r.checked("s3AccessKeyId", raw["s3AccessKeyId"], check_access_key_id) if raw["s3AccessKeyId"] else ""
    if secret is not None:
        r.checked("s3SecretAccessKey", secret.reveal(), check_token)
    if key_id and secret is None:
        r.fail("s3SecretAccessKey", "", "is required with s3AccessKeyId (pulumi config set --secret "
                                        "s3SecretAccessKey); leave both empty to use the pod's IAM role")
    if secret is not None and not raw["s3AccessKeyId"]:
        r.fail("s3AccessKeyId", "", "is required with s3SecretAccessKey (both, or neither for the pod's IAM role)")
    if len(r.problems) > problems:
        return None
    return S3Storage(bucket=bucket, region=region, endpoint=endpoint, force_path_style=force_path_style,
                     prefix=prefix, access_key_id=key_id, secret_access_key=secret)


def _read_database(r: Any, nexus_image: Optional[str]) -> Optional[ExternalDatabase]:
    v = r.value
    url, user = v("databaseUrl"), v("databaseUser")
    password = r.secret("databasePassword", v("databasePassword"))
    if not url:
        for key, value in (("databaseUser", user), ("databasePassword", password)):
            if value:
                r.fail("databaseUrl", url, f"is required with {key} (jdbc:postgresql://HOST:5432/nexus)")
        return None
    problems = len(r.problems)
    try:
        check_database_url(url)
    except ValueError as exc:
        r.fail("databaseUrl", redact_url(url), str(exc))
    if not user:
        r.fail("databaseUser", user, "is required with databaseUrl: the PostgreSQL role Nexus logs in as")
    else:
        r.checked("databaseUser", user, check_role_name)
    if password is None:
        r.fail("databasePassword", "", "is required with databaseUrl (pulumi config set --secret databasePassword)")
    version = nexus_version(nexus_image)
    if version is not None and version < MIN_DATABASE_VERSION:
        r.fail("nexusImage", nexus_image, "must be Nexus >= 3.77 with databaseUrl: Community Edition may use an "
                                          "external PostgreSQL only since 3.77")
    if len(r.problems) > problems:
        return None
    return ExternalDatabase(url=url, user=user, password=password)
