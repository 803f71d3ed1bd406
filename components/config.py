"""Stack settings: one typed, frozen object built from the stack config, with every check in one place.

`parse_settings` is pure (a mapping of raw config strings in, `Settings` out) so it is tested directly;
`load_settings` is the only Pulumi wiring. Every problem is reported as `<project>:<key>` with the bad
value and the reason, all at once, before the program registers any resource.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional
from urllib.parse import urlparse

from components.config_housekeeping import NO_BUCKET_SIZE, NO_VOLUME_SIZE, DockerHubLogin, Housekeeping, read_housekeeping
from components.config_monitoring import Monitoring, read_monitoring
from components.config_keys import KEYS, KEYS_BY_NAME, PROJECT, SECRET_BY_RULE, KeySpec  # noqa: F401 (re-exported)
from components.config_mirrors import MirrorLogin, mirror_proxies, read_mirrors
from components.config_reader import ConfigProblem, ConfigReader, Secret, SettingsError  # noqa: F401
from components.config_scale import FILE, S3, ExternalDatabase, S3Storage, read_scale
from components.config_tls import OwnCertificate, read_own_certificate
from components.config_values import (
    DEFAULT_NEXUS_PASSWORD,
    NEXUS_JETTY_PORT,
    DockerHost,
    check_drain_seconds,
    check_host_path,
    check_name,
    check_namespace,
    check_node_name,
    check_object_name,
    check_positive,
    check_positive_quantity,
    check_privilege_repository,
    check_rotation,
    check_search_target,
    check_storage_class,
    check_user_id,
    heap_bytes,
    parse_dns_name,
    parse_docker_host,
    parse_image,
    parse_ip,
    parse_nexus_image,
    parse_node_port_range,
    parse_port,
    parse_url,
    quantity_bytes,
)
from components.gateway import tls_policy
from components.mirrors import Mirror


@dataclass(frozen=True)
class Repo:
    name: str
    port: Optional[int] = None           # connector port inside the cluster (hosted, group)
    remote_url: Optional[str] = None     # proxy only


@dataclass(frozen=True)
class Settings:
    namespace: str
    create_namespace: bool
    network_policies: bool
    nexus_image: str
    nexus_heap: str
    nexus_memory: str
    nexus_cpu: str
    nexus_cpu_limit: str
    storage_size: str
    storage_class: str
    host_path: str
    nexus_node_name: str
    retain_data: bool
    admin_password: Secret
    public_ips: tuple[str, ...]
    dns_names: tuple[str, ...]
    service_type: str
    node_port_range: tuple[int, int]
    registry_port: int
    web_port: int
    push_port: Optional[int]
    cert_validity_hours: int
    cert_early_renewal_hours: int
    ca_validity_hours: int
    tls_profile: str
    hosted: Repo
    group: Repo
    proxy: Repo
    search_target: str
    shared_blob_store: bool
    anonymous_pull: bool
    accept_eula: bool
    adopt_existing: bool
    nexus_url: str
    nginx_image: str
    gateway_replicas: int
    gateway_drain_seconds: int
    docker_hosts: tuple[DockerHost, ...] = field(default_factory=tuple)
    ssh_private_key: Optional[Secret] = None
    pull_secret_namespaces: tuple[str, ...] = ()
    pull_secret_name: str = "registry-pull"
    trust_on_nodes: bool = False
    mirror_on_nodes: bool = False
    smoke: bool = False
    docker_hub: Optional[DockerHubLogin] = None       # proxy credentials for Docker Hub (token secret)
    proxy_negative_cache_minutes: int = 5
    housekeeping: Housekeeping = field(default_factory=Housekeeping)
    push_users: tuple[str, ...] = ()
    pull_users: tuple[str, ...] = ()
    credentials_rotation: str = "1"
    mirrors: tuple[Mirror, ...] = ()                  # key `mirrors`: docker.io is `proxy`, the others own proxies
    mirror_credentials: Mapping[str, MirrorLogin] = field(default_factory=dict)   # host -> login (secret password)
    own_certificate: Optional[OwnCertificate] = None   # tlsCertificate/tlsPrivateKey instead of the generated pair
    blob_store_type: str = FILE                         # file | s3 (issue 18)
    s3: Optional[S3Storage] = None                      # the bucket, with blobStoreType=s3
    database: Optional[ExternalDatabase] = None         # an external PostgreSQL instead of the embedded H2
    monitoring: Optional[Monitoring] = None          # None: monitoring is off

    @property
    def mirror_proxies(self) -> tuple[Mirror, ...]:
        """The mirrors with a proxy repository of their own (all but docker.io)."""
        return mirror_proxies(self.mirrors)

    @property
    def registry_host(self) -> str:
        """The host part of the address docker clients use: the first IP, else the first DNS name."""
        return (self.public_ips or self.dns_names)[0]

    @property
    def registry_address(self) -> str:
        return f"{self.registry_host}:{self.registry_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.registry_host}:{self.web_port}"

    @property
    def proxy_egress_ports(self) -> tuple[int, ...]:
        """TCP ports Nexus dials out on for its proxy repositories: each remote's own port (Docker Hub's and every
        mirror's), and 443 where registries redirect blob downloads (Docker Hub's CDN, GHCR's
        pkg-containers.githubusercontent.com, quay.io's cdn*.quay.io, registry.k8s.io's *.pkg.dev). A
        NetworkPolicy cannot name DNS hosts, so the rule opens these ports to any address."""
        remotes = [self.proxy.remote_url, *(m.remote_url for m in self.mirror_proxies)]
        return tuple(sorted({_remote_port(url) for url in remotes} | {443}))

    @property
    def nexus_egress_ports(self) -> tuple[int, ...]:
        """Every TCP port Nexus dials out on: the proxy remote's, and the bucket's and the database's when used."""
        ports = set(self.proxy_egress_ports)
        ports.update(self.s3.egress_ports if self.s3 else ())
        ports.update(self.database.ports if self.database else ())
        return tuple(sorted(ports))

    @property
    def uses_host_path(self) -> bool:
        return bool(self.host_path)

    @property
    def jvm_options(self) -> str:
        heap = self.nexus_heap
        return (f"-Xms{heap} -Xmx{heap} -XX:MaxDirectMemorySize={heap} "
                "-Djava.util.prefs.userRoot=/nexus-data/javaprefs")


def parse_settings(raw: Mapping[str, Optional[str]], secret_keys: frozenset[str] | set[str] = frozenset()) -> Settings:
    """Build Settings from raw config strings (keys without the project prefix; arrays as JSON).

    `secret_keys` are the keys whose value is stored encrypted. Raises SettingsError naming every bad key.
    """
    r = ConfigReader(raw, frozenset(secret_keys))
    v = r.value

    namespace = v("namespace", check_namespace)
    nexus_image = v("nexusImage", parse_nexus_image)
    heap = v("nexusHeap")
    heap_size = r.checked("nexusHeap", heap, heap_bytes) if heap is not None else None
    memory = v("nexusMemory", check_positive_quantity)
    if heap_size and memory and quantity_bytes(memory) < 2 * heap_size:
        r.fail("nexusMemory", memory, f"must hold at least twice nexusHeap={heap} (heap + direct memory)")
    cpu, cpu_limit = v("nexusCpu", check_positive_quantity), v("nexusCpuLimit", check_positive_quantity)
    if cpu and cpu_limit and quantity_bytes(cpu) > quantity_bytes(cpu_limit):
        r.fail("nexusCpuLimit", cpu_limit, f"must be at least nexusCpu={cpu} (Kubernetes refuses a request above "
                                           f"its limit)")
    storage_size = v("storageSize", check_positive_quantity)
    host_path = v("hostPath", check_host_path)
    node_name = v("nexusNodeName", check_node_name)
    if host_path and node_name == "":                  # None: already refused above
        r.fail("nexusNodeName", node_name, "is required with hostPath (the data lives on one node)")

    password = v("adminPassword")
    if password is not None:
        if not password.strip():
            r.fail("adminPassword", "", "must not be empty")
        elif password == DEFAULT_NEXUS_PASSWORD:
            r.fail("adminPassword", password, "must not be Nexus' well-known default password")
    admin_password = r.secret("adminPassword", password)

    public_ips = r.each("publicIps", v("publicIps"), parse_ip)
    dns_names = r.each("dnsNames", v("dnsNames"), parse_dns_name)
    if not public_ips and not dns_names and "publicIps" not in {p.key for p in r.problems}:
        r.fail("publicIps", [], "set publicIps (or dnsNames): the registry address and certificate SANs")

    service_type = v("serviceType")
    if service_type not in (None, "NodePort", "LoadBalancer"):
        r.fail("serviceType", service_type, "must be NodePort or LoadBalancer")
    node_range = v("nodePortRange", parse_node_port_range)
    client_ports = {k: v(k, parse_port) for k in ("registryPort", "webPort")}
    push_port = v("pushPort")
    if push_port is not None and push_port > 0:
        client_ports["pushPort"] = r.checked("pushPort", push_port, parse_port)
    elif push_port is not None and push_port < 0:
        r.fail("pushPort", push_port, "must be 0 (off) or a port between 1 and 65535")
    if service_type == "NodePort" and node_range:
        for key, port in client_ports.items():
            if port and not node_range[0] <= port <= node_range[1]:
                r.fail(key, port, f"must be inside nodePortRange {node_range[0]}-{node_range[1]} with serviceType NodePort")
    _distinct(r, client_ports)

    connector_ports = {k: v(k, parse_port) for k in ("hostedPort", "groupPort")}
    for key, port in connector_ports.items():
        if port == NEXUS_JETTY_PORT:
            r.fail(key, port, f"{NEXUS_JETTY_PORT} is Nexus' own web port")
    _distinct(r, connector_ports)

    names = {k: v(k, check_name) for k in ("hostedRepo", "groupRepo", "proxyRepo")}
    _distinct(r, {k: n.lower() for k, n in names.items() if n}, what="repository name (case-insensitive)")

    validity = v("certValidityHours", check_positive)
    renewal = v("certEarlyRenewalHours")
    if renewal is not None and validity and not 0 <= renewal < validity:
        r.fail("certEarlyRenewalHours", renewal, f"must be between 0 and certValidityHours={validity}")
    ca_validity = v("caValidityHours", check_positive)
    if ca_validity and validity and ca_validity < validity:
        r.fail("caValidityHours", ca_validity, f"must be at least certValidityHours={validity}")
    tls = v("tlsProfile", tls_policy.profile)
    own_certificate = read_own_certificate(r, public_ips, dns_names, tls)
    # The cap is for the certificate this stack generates; a provided one gets a warning (config_tls.py).
    if tls and validity and validity > tls.max_cert_validity_hours and not r.raw.get("tlsCertificate"):
        r.fail("certValidityHours", validity,
               f"must be at most {tls.max_cert_validity_hours} ({tls.max_cert_lifespan_days} days) with "
               f"tlsProfile={tls.name}: Mozilla's maximum certificate lifespan for that profile")

    scale = read_scale(r, host_path, nexus_image)
    docker_hosts = r.each("dockerHosts", v("dockerHosts"), parse_docker_host)
    ssh_key = r.secret("sshPrivateKey", v("sshPrivateKey"))
    if docker_hosts and ssh_key is None:
        r.fail("sshPrivateKey", "", "is required when dockerHosts is set (pulumi config set --secret sshPrivateKey < key)")

    push_users, pull_users = _users(r)
    if push_users or pull_users:
        for key in ("hostedRepo", "groupRepo"):
            if names[key]:
                r.checked(key, names[key], check_privilege_repository)

    pull_namespaces = r.each("pullSecretNamespaces", v("pullSecretNamespaces"), check_namespace)
    for duplicate in sorted({ns for ns in pull_namespaces if pull_namespaces.count(ns) > 1}):
        r.fail("pullSecretNamespaces", duplicate, "is listed twice; each namespace gets one pull Secret")
    if pull_namespaces and not pull_users:
        # The cluster pulls as a pull-only user, never as admin (whose password reconfigures Nexus).
        r.fail("pullSecretNamespaces", list(pull_namespaces),
               "needs a pull-only user for the Secrets to hold: list one in pullUsers "
               "(pulumi config set --path 'pullUsers[0]' cluster-pull)")

    mirror_settings = read_mirrors(r, names["proxyRepo"], v("proxyRemoteUrl"),
                                   {k: names[k] for k in ("hostedRepo", "groupRepo", "proxyRepo")})
    own = {f"{host}:{port}" for host in (*public_ips, *dns_names) for port in client_ports.values() if port}
    for entry in sorted(own & {m.host for m in mirror_settings["mirrors"]}):
        r.fail("mirrors", entry, "is this registry's own address; list the upstreams it mirrors")
    trust_on_nodes, mirror_on_nodes = v("trustOnNodes"), v("mirrorOnNodes")
    if mirror_on_nodes and trust_on_nodes is False:
        r.fail("mirrorOnNodes", mirror_on_nodes, "needs trustOnNodes: true (the nodes' hosts.toml names the "
                                                 "registry CA that trustOnNodes installs)")

    settings = dict(
        namespace=namespace,
        create_namespace=v("createNamespace"),
        network_policies=v("networkPolicies"),
        nexus_image=nexus_image,
        nexus_heap=heap,
        nexus_memory=memory,
        nexus_cpu=cpu,
        nexus_cpu_limit=cpu_limit,
        storage_size=storage_size,
        storage_class=v("storageClass", check_storage_class),
        host_path=host_path,
        nexus_node_name=node_name,
        retain_data=v("retainData"),
        admin_password=admin_password,
        public_ips=public_ips,
        dns_names=dns_names,
        service_type=service_type,
        node_port_range=node_range,
        registry_port=client_ports["registryPort"],
        web_port=client_ports["webPort"],
        push_port=client_ports.get("pushPort"),
        cert_validity_hours=validity,
        cert_early_renewal_hours=renewal,
        ca_validity_hours=ca_validity,
        tls_profile=tls.name if tls else None,
        hosted=Repo(names["hostedRepo"], port=connector_ports["hostedPort"]),
        group=Repo(names["groupRepo"], port=connector_ports["groupPort"]),
        proxy=Repo(names["proxyRepo"], remote_url=v("proxyRemoteUrl", parse_url)),
        search_target=v("searchTarget", check_search_target),
        shared_blob_store=v("sharedBlobStore"),
        anonymous_pull=v("anonymousPull"),
        accept_eula=v("acceptEula"),
        adopt_existing=v("adoptExisting"),
        nexus_url=v("nexusUrl", lambda u: parse_url(u) if u else u),
        nginx_image=v("nginxImage", parse_image),
        gateway_replicas=v("gatewayReplicas", check_positive),
        gateway_drain_seconds=v("gatewayDrainSeconds", check_drain_seconds),
        docker_hosts=docker_hosts,
        ssh_private_key=ssh_key,
        pull_secret_namespaces=pull_namespaces,
        pull_secret_name=v("pullSecretName", check_object_name),
        trust_on_nodes=trust_on_nodes,
        mirror_on_nodes=mirror_on_nodes,
        smoke=v("smoke"),
        **_housekeeping(r, host_path, storage_size, scale["blob_store_type"]),
        push_users=push_users,
        pull_users=pull_users,
        credentials_rotation=v("credentialsRotation", check_rotation),
        **mirror_settings,
        own_certificate=own_certificate,
        **scale,
        **read_monitoring(r),
    )
    if r.problems:
        raise SettingsError(r.problems)
    return Settings(**settings)


def _remote_port(url: str) -> int:
    remote = urlparse(url)
    return remote.port or (443 if remote.scheme == "https" else 80)


def _housekeeping(r: ConfigReader, host_path: Optional[str], storage_size: Optional[str], store_type: str) -> dict:
    """The issue-9 keys. A quota's share or limit is of storageSize only where storageSize holds the blobs: a
    hostPath directory has no size, and with S3 the volume keeps only Nexus' database and logs."""
    if store_type == S3:
        words = (r.value("blobStoreSoftQuota") or "").split()
        if words[1:] == ["free"] and "%" not in words[0]:      # a percentage gets its own message below
            r.fail("blobStoreSoftQuota", " ".join(words), "a 'free' quota never warns with blobStoreType=s3: Nexus "
                                                          "counts an S3 bucket's free space as unlimited; use a "
                                                          "size such as 80Gi")
        return read_housekeeping(r, None, NO_BUCKET_SIZE)
    if host_path:
        return read_housekeeping(r, None, NO_VOLUME_SIZE)
    return read_housekeeping(r, quantity_bytes(storage_size) if storage_size else None)


def _distinct(r: ConfigReader, values: Mapping[str, object], what: str = "port") -> None:
    seen: dict[object, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        if value in seen:
            r.fail(key, value, f"the same {what} as {seen[value]}; they must differ")
        else:
            seen[value] = key


def _users(r: ConfigReader) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """pushUsers and pullUsers: valid Nexus user ids, each listed once across both keys (ignoring case, as
    Nexus' user lookups do)."""
    seen: dict[str, str] = {}
    lists = {}
    for key in ("pushUsers", "pullUsers"):
        kept = []
        for user in r.each(key, r.value(key), check_user_id):
            other = seen.get(user.lower())
            if other is None:
                seen[user.lower()] = key
                kept.append(user)
            elif other == key:
                r.fail(key, user, f"is listed twice in {key} (Nexus user ids ignore case)")
            else:
                r.fail(key, user, f"is in both {other} and {key}; a user is either push or pull "
                                  f"(push users can pull too)")
        lists[key] = tuple(kept)
    return lists["pushUsers"], lists["pullUsers"]


def load_settings() -> Settings:
    """Settings from the running stack's config (the only Pulumi-aware function here)."""
    import pulumi
    from pulumi.runtime.config import is_config_secret

    cfg = pulumi.Config(PROJECT)
    raw = {k.name: cfg.get(k.name) for k in KEYS}
    secrets = {k.name for k in KEYS if is_config_secret(f"{PROJECT}:{k.name}")}
    return parse_settings(raw, secrets)
