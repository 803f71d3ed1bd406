"""What the how-to clicked in the Nexus UI: blob stores, the docker repositories, the Docker Bearer Token
realm, anonymous access and the EULA, and the housekeeping that keeps the disk in check, as dynamic resources over
the Nexus REST API; and the least-privilege docker accounts (push/pull roles and local users) that replace the
admin login."""
from components.nexus_config.account_set import DockerAccounts, DockerAccountsArgs
from components.nexus_config.housekeeping_set import Housekeeping, HousekeepingArgs
from components.nexus_config.repo_set import DockerRepoSet, DockerRepoSetArgs

__all__ = ["DockerAccounts", "DockerAccountsArgs", "DockerRepoSet", "DockerRepoSetArgs", "Housekeeping",
           "HousekeepingArgs"]
