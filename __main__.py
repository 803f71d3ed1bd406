"""nexus-registry: a private Docker registry on Kubernetes (Nexus 3 behind one TLS nginx address).

Reads the stack settings (all validation happens there, before any resource), creates the
components and passes their outputs to each other, then exports the stack outputs.
"""
import pulumi

from components.config import load_settings
from components.docker_client_trust import DockerClientTrust, DockerClientTrustArgs
from components.gateway_manifests import GatewaySpec
from components.nginx_gateway import NginxGateway, NginxGatewayArgs
from components.nexus_manifests import NexusSpec
from components.nexus_server import NexusServer, NexusServerArgs
from components.self_signed_cert import SelfSignedCert, SelfSignedCertArgs

settings = load_settings()

cert = SelfSignedCert("registry-tls", SelfSignedCertArgs(
    ip_addresses=settings.public_ips,
    dns_names=settings.dns_names,
    validity_hours=settings.cert_validity_hours,
    early_renewal_hours=settings.cert_early_renewal_hours,
    ca_validity_hours=settings.ca_validity_hours,
))

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
    ),
    admin_password=pulumi.Output.secret(settings.admin_password.reveal()),
    create_namespace=settings.create_namespace,
    retain_data=settings.retain_data,
))

gateway = NginxGateway("gateway", NginxGatewayArgs(
    spec=GatewaySpec(
        name="registry-gateway",
        namespace=settings.namespace,
        image=settings.nginx_image,
        replicas=settings.gateway_replicas,
        service_type=settings.service_type,
        registry_port=settings.registry_port,
        web_port=settings.web_port,
        push_port=settings.push_port,
    ),
    nexus_host=nexus.service_host,
    web_port=nexus.web_port,
    hosted_port=nexus.hosted_port,
    group_port=nexus.group_port,
    cert_pem=cert.cert_pem,
    private_key_pem=cert.private_key_pem,
    registry_host=settings.registry_host,
))

if settings.docker_hosts:
    DockerClientTrust("docker-trust", DockerClientTrustArgs(
        hosts=settings.docker_hosts,
        registry_address=gateway.registry_address,
        ca_cert_pem=cert.ca_cert_pem,
        ssh_private_key=pulumi.Output.secret(settings.ssh_private_key.reveal()),
    ))

pulumi.export("registry", gateway.registry_address)
pulumi.export("nexus_url", gateway.web_url)
pulumi.export("ca_cert_pem", cert.ca_cert_pem)
pulumi.export("nexus_service", nexus.service_host)
