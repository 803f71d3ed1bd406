"""The program under Pulumi mocks, for the dev and the prod stack: components, wiring and secrets."""
from __future__ import annotations

from tests.support.stack import TEST_PASSWORD, plain_occurrences, run_program, stack_file

COMPONENTS = {"nexus-registry:index:NexusServer", "nexus-registry:index:SelfSignedCert"}


def _configured_ips(stack: str) -> list[str]:
    return stack_file(stack)["config"]["nexus-registry:publicIps"]


def test_components_exist_and_own_their_children(stack_run):
    assert COMPONENTS <= stack_run.types()
    for comp in (r for r in stack_run.resources if r.typ in COMPONENTS):
        children = stack_run.children(comp)
        assert children, f"{comp.name} has no children"
        for child in children:
            assert child.name.startswith(comp.name), f"{child.name} not derived from {comp.name}"
    # every custom resource sits under a component, none directly under the stack
    for r in stack_run.resources:
        parent = stack_run.by_urn(r.options["parent"])
        if r.custom:
            assert parent is not None and not parent.custom, f"{r.typ} {r.name} is not inside a component"


def test_certificate_sans_are_the_configured_addresses():
    for stack, run in (("dev", run_program("dev")), ("prod", run_program("prod"))):
        csr = run.one("tls:index/certRequest:CertRequest").plain
        assert csr["ipAddresses"] == _configured_ips(stack)
        assert csr.get("dnsNames", []) == stack_file(stack)["config"].get("nexus-registry:dnsNames", [])
        server = run.one("tls:index/locallySignedCert:LocallySignedCert").plain
        assert "server_auth" in server["allowedUses"] and not server.get("isCaCertificate")
        ca = run.one("tls:index/selfSignedCert:SelfSignedCert").plain
        assert ca["isCaCertificate"] is True and "cert_signing" in ca["allowedUses"]


def test_server_cert_renews_early_and_ca_outlives_it(dev_run):
    server = dev_run.one("tls:index/locallySignedCert:LocallySignedCert").plain
    ca = dev_run.one("tls:index/selfSignedCert:SelfSignedCert").plain
    assert server["validityPeriodHours"] == 8760 and server["earlyRenewalHours"] == 720
    assert ca["validityPeriodHours"] > server["validityPeriodHours"]


def _pod(run) -> dict:
    return run.one("kubernetes:apps/v1:Deployment", "nexus-deployment").plain["spec"]["template"]["spec"]


def test_nexus_pod_runs_as_200_with_status_probes(stack_run):
    deploy = stack_run.one("kubernetes:apps/v1:Deployment", "nexus-deployment").plain
    assert deploy["spec"]["replicas"] == 1 and deploy["spec"]["strategy"]["type"] == "Recreate"
    pod = _pod(stack_run)
    assert pod["securityContext"]["runAsUser"] == 200 and pod["securityContext"]["fsGroup"] == 200
    nexus = next(c for c in pod["containers"] if c["name"] == "nexus")
    assert nexus["startupProbe"]["httpGet"] == {"path": "/service/rest/v1/status", "port": "web"}
    assert nexus["readinessProbe"]["httpGet"] == {"path": "/service/rest/v1/status/writable", "port": "web"}
    ports = {p["name"]: p["containerPort"] for p in nexus["ports"]}
    assert ports == {"web": 8081, "docker-hosted": 9897, "docker-group": 9896}
    assert next(v for v in nexus["volumeMounts"] if v["name"] == "data")["mountPath"] == "/nexus-data"
    assert nexus["resources"]["limits"]["memory"] and nexus["resources"]["requests"]["cpu"]
    opts = stack_run.one("kubernetes:apps/v1:Deployment", "nexus-deployment").options
    assert opts["custom_timeouts"]["create"] == "20m"


def test_heap_setting_reaches_the_jvm(dev_run, prod_run):
    for run, heap in ((dev_run, "1g"), (prod_run, "2703m")):
        env = {e["name"]: e for e in next(c for c in _pod(run)["containers"] if c["name"] == "nexus")["env"]}
        assert env["INSTALL4J_ADD_VM_PARAMS"]["value"].startswith(f"-Xms{heap} -Xmx{heap}")


def test_password_reaches_the_pod_only_through_a_secret(stack_run):
    nexus = next(c for c in _pod(stack_run)["containers"] if c["name"] == "nexus")
    env = {e["name"]: e for e in nexus["env"]}
    ref = env["NEXUS_SECURITY_INITIAL_PASSWORD"]
    assert "value" not in ref
    secret_ref = ref["valueFrom"]["secretKeyRef"]
    secret = stack_run.one("kubernetes:core/v1:Secret", "nexus-admin")
    assert secret.plain["metadata"]["name"] == secret_ref["name"]
    assert secret.plain["stringData"][secret_ref["key"]] == TEST_PASSWORD


def test_password_never_appears_in_plaintext(stack_run):
    for r in stack_run.resources:
        assert plain_occurrences(r.inputs, TEST_PASSWORD) == [], f"{r.typ} {r.name} holds the password in plaintext"
        if r.typ == "kubernetes:core/v1:ConfigMap":
            assert TEST_PASSWORD not in str(r.plain)
    for name, value in stack_run.outputs.items():
        if name not in stack_run.secret_outputs:
            assert TEST_PASSWORD not in str(value), f"output {name} leaks the password"


def test_data_volume_and_namespace_survive_destroy(dev_run):
    assert dev_run.one("kubernetes:core/v1:PersistentVolumeClaim").options["retain_on_delete"] is True
    assert dev_run.one("kubernetes:core/v1:Namespace").options["retain_on_delete"] is True
    claim = dev_run.one("kubernetes:core/v1:PersistentVolumeClaim").plain
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    volume = next(v for v in _pod(dev_run)["volumes"] if v["name"] == "data")
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]


def test_opting_out_of_retention_lets_destroy_delete_data():
    run = run_program("dev", {"retainData": False})
    assert run.one("kubernetes:core/v1:PersistentVolumeClaim").options["retain_on_delete"] is False


def test_prod_keeps_data_in_the_host_directory_owned_by_200(prod_run):
    assert prod_run.of_type("kubernetes:core/v1:PersistentVolumeClaim") == []
    pod = _pod(prod_run)
    volume = next(v for v in pod["volumes"] if v["name"] == "data")
    assert volume["hostPath"]["path"] == "/home/rancher/nexus-data"
    assert pod["nodeSelector"] == {"kubernetes.io/hostname": "node"}
    init = pod["initContainers"][0]
    assert "chown -R 200:200 /nexus-data" in init["command"][-1]


def test_service_exposes_web_and_connector_ports(stack_run):
    svc = stack_run.one("kubernetes:core/v1:Service", "nexus-service").plain
    assert svc["spec"]["type"] == "ClusterIP"
    assert {p["port"] for p in svc["spec"]["ports"]} == {8081, 9897, 9896}


def test_stack_outputs(dev_run, prod_run):
    assert dev_run.outputs["registry"] == "127.0.0.1:30443"
    assert prod_run.outputs["registry"] == "192.168.129.112:10001"
    assert prod_run.outputs["nexus_url"] == "http://192.168.129.112:10653"
    assert dev_run.outputs["ca_cert_pem"].startswith("-----BEGIN CERTIFICATE-----")
