"""What the how-to clicked in the Nexus UI: blob stores, the docker repositories, the Docker Bearer Token
realm, anonymous access and the EULA, as dynamic resources over the Nexus REST API."""
from components.nexus_config.repo_set import DockerRepoSet, DockerRepoSetArgs

__all__ = ["DockerRepoSet", "DockerRepoSetArgs"]
