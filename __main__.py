"""nexus-registry: a private Docker registry on Kubernetes (Nexus 3 behind one TLS nginx address).

Reads the stack settings (all validation happens there, before any resource), creates the
components, passes their outputs to each other and exports the stack outputs.
"""
import pulumi

from components.clients import DockerClientTrust, DockerClientTrustArgs, SmokeCheck, SmokeCheckArgs
from components.clients.docker_trust import ca_path
from components.cluster_pull import (
    NodeRegistryTrust,
    NodeRegistryTrustArgs,
    RegistryPullSecrets,
    RegistryPullSecretsArgs,
)
from components.cluster_pull.manifests import NodeTrustSpec
from components.config import load_settings
from components.config_mirrors import docker_hub_pull_warning
from components.config_scale import FILE
from components.gateway import NginxGateway, NginxGatewayArgs
from components.gateway.manifests import GatewaySpec
from components.monitoring import Monitoring, MonitoringArgs
from components.monitoring.manifests import MonitoringSpec
from components.nexus_config import (DockerAccounts, DockerAccountsArgs, DockerRepoSet, DockerRepoSetArgs,
                                     Housekeeping, HousekeepingArgs)
from components.nexus_config.housekeeping_payloads import invalidate_cache_command
from components.nexus_server import NexusServer, NexusServerArgs
from components.nexus_server.manifests import NexusSpec
from components.tls import ProvidedCert, ProvidedCertArgs, SelfSignedCert, SelfSignedCertArgs

settings = load_settings()
monitoring = settings.monitoring
admin_password = pulumi.Output.secret(settings.admin_password.reveal())
# Nodes mirroring docker.io without anonymous read on the group quietly pull from Docker Hub: say so at config time.
hub_warning = docker_hub_pull_warning(settings.mirrors, settings.anonymous_pull, settings.group.name,
                                      on_nodes=settings.mirror_on_nodes)
if hub_warning:
    pulumi.log.warn(hub_warning)

own_cert = settings.own_certificate
if own_cert:        # tlsCertificate/tlsPrivateKey (checked in the settings) instead of the generated pair
    for level, note in own_cert.notes:
        (pulumi.log.warn if level == "warn" else pulumi.log.info)(note)
    cert = ProvidedCert("registry-tls", ProvidedCertArgs(
        cert_pem=own_cert.cert_pem,
        private_key_pem=pulumi.Output.secret(own_cert.private_key.reveal()),
        ca_cert_pem=own_cert.ca_pem,
        not_after=own_cert.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ))
else:
    cert = SelfSignedCert("registry-tls", SelfSignedCertArgs(
        ip_addresses=settings.public_ips,
        dns_names=settings.dns_names,
        validity_hours=settings.cert_validity_hours,
        early_renewal_hours=settings.cert_early_renewal_hours,
        ca_validity_hours=settings.ca_validity_hours,
    ))

gateway_spec = GatewaySpec(
    name="registry-gateway",
    namespace=settings.namespace,
    image=settings.nginx_image,
    replicas=settings.gateway_replicas,
    service_type=settings.service_type,
    registry_port=settings.registry_port,
    web_port=settings.web_port,
    push_port=settings.push_port,
    drain_seconds=settings.gateway_drain_seconds,
    network_policy=settings.network_policies,
    exporter_image=monitoring.exporter_image if monitoring else None,
)

nexus = NexusServer("nexus", NexusServerArgs(
    spec=NexusSpec(
        name="nexus",
        namespace=settings.namespace,
        image=settings.nexus_image,
        jvm_options=settings.jvm_options,
        memory=settings.nexus_memory,
        cpu=settings.nexus_cpu,
        cpu_limit=settings.nexus_cpu_limit,
        hosted_port=settings.hosted.port,
        group_port=settings.group.port,
        storage_size=settings.storage_size,
        storage_class=settings.storage_class,
        host_path=settings.host_path,
        node_name=settings.nexus_node_name,
        network_policy=settings.network_policies,
        client_labels=gateway_spec.labels,
        egress_ports=settings.nexus_egress_ports,
        external_database=settings.database is not None,
        metrics_scrape=monitoring is not None,
    ),
    admin_password=admin_password,
    create_namespace=settings.create_namespace,
    retain_data=settings.retain_data,
    **({"database_url": settings.database.url, "database_user": settings.database.user,
        "database_password": pulumi.Output.secret(settings.database.password.reveal())} if settings.database else {}),
))

gateway = NginxGateway("gateway", NginxGatewayArgs(
    spec=gateway_spec,
    nexus_host=nexus.service_host,
    nexus_labels=nexus.pod_labels,
    web_port=nexus.web_port,
    hosted_port=nexus.hosted_port,
    group_port=nexus.group_port,
    cert_pem=cert.cert_pem,
    private_key_pem=cert.private_key_pem,
    registry_host=settings.registry_host,
    tls_profile=settings.tls_profile,
    cert_key_type=own_cert.key_type if own_cert else "ECDSA",
    search_target=settings.search_target,
    mirrors=settings.mirrors,
))

nexus_url = settings.nexus_url or gateway.web_url
upkeep = settings.housekeeping
repos = DockerRepoSet("docker-repos", DockerRepoSetArgs(
    nexus_url=nexus_url,
    hosted=settings.hosted,
    group=settings.group,
    proxy=settings.proxy,
    search_target=settings.search_target,
    shared_blob_store=settings.shared_blob_store,
    anonymous_pull=settings.anonymous_pull,
    accept_eula=settings.accept_eula,
    docker_hub_username=settings.docker_hub.username if settings.docker_hub else None,
    docker_hub_token=pulumi.Output.secret(settings.docker_hub.token.reveal()) if settings.docker_hub else None,
    negative_cache_minutes=settings.proxy_negative_cache_minutes,
    proxy_cleanup_days=upkeep.proxy_cleanup_days,
    hosted_cleanup_days=upkeep.hosted_cleanup_days,
    soft_quota=upkeep.soft_quota.request() if upkeep.soft_quota else None,
    mirrors=settings.mirrors,
    mirror_logins={host: (login.username, pulumi.Output.secret(login.password.reveal()))
                   for host, login in settings.mirror_credentials.items()},
    s3=settings.s3,
    s3_secret_access_key=pulumi.Output.secret(settings.s3.secret_access_key.reveal())
    if settings.s3 and settings.s3.secret_access_key else None,
    adopt_existing=settings.adopt_existing,
    retain_data=settings.retain_data,
    push_users=settings.push_users,
    pull_users=settings.pull_users,
    depends_on=[nexus.service, gateway.service],
))

if upkeep.tasks:
    Housekeeping("housekeeping", HousekeepingArgs(
        nexus_url=nexus_url,
        blob_stores=repos.blob_store_names,
        hosted=repos.hosted_name,
        proxy=repos.proxy_name if upkeep.proxy_cleanup_days else None,
        proxy_keep_hours=24 * upkeep.proxy_cleanup_days,
        mirror_proxies=repos.mirror_proxy_names,
        cron=upkeep.cron,
        compact=settings.blob_store_type == FILE,
        adopt_existing=settings.adopt_existing,
        retain_data=settings.retain_data,
        depends_on=[nexus.service, gateway.service, *repos.resources],
    ))

# Least-privilege docker users (pushUsers, pullUsers) instead of admin, with generated passwords.
accounts = None
if settings.push_users or settings.pull_users:
    accounts = DockerAccounts("docker-accounts", DockerAccountsArgs(
        nexus_url=nexus_url,
        hosted_repo=settings.hosted.name,
        group_repo=settings.group.name,
        push_users=settings.push_users,
        pull_users=settings.pull_users,
        registry_address=gateway.registry_address,
        push_address=gateway.push_address,
        rotation=settings.credentials_rotation,
        depends_on=list(repos.resources),
    ))
pusher = (accounts.first_push_user, accounts.first_push_password) if accounts and accounts.first_push_user \
    else ("admin", admin_password)

if settings.docker_hosts:
    DockerClientTrust("docker-trust", DockerClientTrustArgs(
        hosts=settings.docker_hosts,
        registry_address=gateway.registry_address,
        ca_cert_pem=cert.ca_cert_pem,
        ssh_private_key=pulumi.Output.secret(settings.ssh_private_key.reveal()),
        push_address=gateway.push_address,
    ))


if settings.pull_secret_namespaces:      # the settings require a pull user for it: the Secrets never hold admin
    pull_user, pull_password = accounts.first_pull_user, accounts.first_pull_password
    RegistryPullSecrets("pull-secrets", RegistryPullSecretsArgs(
        # The stack's own namespace through NexusServer's output, so its Secret waits until it exists.
        namespaces={ns: nexus.namespace if ns == settings.namespace else ns
                    for ns in settings.pull_secret_namespaces},
        secret_name=settings.pull_secret_name,
        registry_address=gateway.registry_address,
        push_address=gateway.push_address,
        pull_username=pull_user,
        pull_password=pull_password,
    ))

if settings.trust_on_nodes:
    NodeRegistryTrust("node-trust", NodeRegistryTrustArgs(
        spec=NodeTrustSpec(name="registry-node-trust", namespace=nexus.namespace,
                           network_policy=settings.network_policies),
        registry_address=gateway.registry_address,
        push_address=gateway.push_address,
        ca_cert_pem=cert.ca_cert_pem,
        mirrors=tuple(m.host for m in settings.mirrors) if settings.mirror_on_nodes else (),
    ))

if settings.smoke:
    # With accounts, the push and pull users run it: the admin password is then not handed to it at all.
    SmokeCheck("registry-smoke", SmokeCheckArgs(
        registry_address=gateway.registry_address,
        ca_cert_pem=cert.ca_cert_pem,
        user=pusher[0],
        password=pusher[1],
        pull_user=accounts.first_pull_user if accounts else None,
        pull_password=accounts.first_pull_password if accounts else None,
        triggers=[gateway.registry_address, cert.ca_cert_pem, repos.repositories],
        depends_on=[*repos.resources, *(accounts.resources if accounts else [])],
    ))

if monitoring:
    quota = upkeep.soft_quota
    Monitoring("monitoring", MonitoringArgs(
        spec=MonitoringSpec(name="registry-monitoring", namespace=settings.namespace,
                            operator=monitoring.operator, extra_labels=dict(monitoring.labels)),
        nexus_url=nexus_url,
        nexus_labels=nexus.pod_labels, nexus_port="web",
        gateway_labels=gateway_spec.labels, gateway_port="metrics",
        component_limit=monitoring.component_limit,
        request_limit=monitoring.request_limit,
        cert_not_after=cert.not_after,
        cert_early_renewal_hours=settings.cert_early_renewal_hours,
        data_claim=None if settings.uses_host_path else nexus.claim_name,
        # The data volume's bytes stand for the blob stores only when they are files on it (not in S3).
        quota=(quota.type, quota.limit) if quota and settings.blob_store_type == FILE else None,
        rotation=settings.credentials_rotation,
        depends_on=[nexus.service, gateway.service, *repos.resources],
    ))

registry = gateway.registry_address
pulumi.export("registry", registry)
if gateway.push_address is not None:
    pulumi.export("push_registry", gateway.push_address)
pulumi.export("nexus_url", gateway.web_url)
pulumi.export("ca_cert_pem", cert.ca_cert_pem)
pulumi.export("ca_path", registry.apply(ca_path))
pulumi.export("repositories", repos.repositories)
pulumi.export("blob_stores", repos.blob_stores)
pulumi.export("proxy_cache_invalidate", pulumi.Output.all(nexus_url, repos.proxy_name).apply(
    lambda v: invalidate_cache_command(*v)))
pulumi.export("docker_login", pulumi.Output.all(registry, pusher[0]).apply(
    lambda v: f"docker login {v[0]} -u {v[1]}"))
if accounts:
    pulumi.export("docker_credentials", accounts.credentials)
pulumi.export("docker_pull_example", registry.apply(lambda a: f"docker pull {a}/library/busybox:latest"))
pulumi.export("docker_push_example", registry.apply(
    lambda a: f"docker tag busybox:latest {a}/team/busybox:1 && docker push {a}/team/busybox:1"))
pulumi.export("nexus_service", nexus.service_host)
