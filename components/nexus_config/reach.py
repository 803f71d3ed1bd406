"""A `nexusUrl` that cannot be reached: how to tell it from a Nexus that is starting, and what to tell the operator.

The stack creates its Nexus resources only after the Nexus Service (which awaits a ready pod) and the gateway
Service exist (repo_set.py's depends_on). By then a connection that cannot even be opened (refused, a name that does
not resolve, an address with no route or no answer) means the URL is wrong from where Pulumi runs: typically kind or
minikube without the NodePort mapping. A Nexus or gateway that answers 502/503 is starting, and is waited for.
Plain data in and out.
"""
from __future__ import annotations

from components.config_keys import KEYS

URL_KEY = "nexusUrl"                       # the stack config key the program derives nexus_url from
NAMESPACE_KEY = "namespace"                # the stack config key of the namespace Nexus runs in
DEFAULT_NAMESPACE = next(k.default for k in KEYS if k.name == NAMESPACE_KEY)
# What the stack creates (__main__.py: NexusSpec(name="nexus"); nexus_server/manifests.py: WEB_PORT, the Service's
# "web" port). Plain copies, so the provider modules import nothing of the Kubernetes side; a test of the dev stack
# checks both against the Service it registers.
NEXUS_SERVICE = "nexus"
NEXUS_WEB_PORT = 8081


def port_forward_recipe(namespace: str) -> str:
    """The two commands that give Pulumi a working `nexusUrl` whatever the cluster's networking."""
    local = f"http://127.0.0.1:{NEXUS_WEB_PORT}"
    return (f"`kubectl -n {namespace} port-forward svc/{NEXUS_SERVICE} {NEXUS_WEB_PORT}:{NEXUS_WEB_PORT}` "
            f"(leave it running), then `pulumi config set {URL_KEY} {local}` and `pulumi up` again")


def unreachable_message(url: str, problem: str, waited: float, namespace: str) -> str:
    return (f"cannot reach Nexus at {url} (stack config key `{URL_KEY}`; unset, it is the gateway's web address): "
            f"{problem} for {waited:.0f}s. The stack calls Nexus only once its pod and the gateway Service are "
            f"ready, so this URL is wrong from where Pulumi runs (for example kind or minikube without the "
            f"NodePort mapping). Reach Nexus through a port-forward instead: {port_forward_recipe(namespace)}")
