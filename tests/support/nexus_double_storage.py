"""The Nexus double's blob stores and repositories (mixed into `tests.support.nexus_double.NexusDouble`).

Each behaviour names the class in Nexus' source it follows (nexus-api §9: sonatype/nexus-public at 3.89, or the
3.77 export where §9 changes nothing); [inf] marks what no source settles.

- Repository POST/PUT, in AbstractRepositoriesApiResource's order:
  1. bean validation of the body (ResteasyViolationExceptionMapper): one `PARAMETER <leaf>` per problem, a missing
     object reported alone (not with its members), a missing `name` "must not be empty" (@NotEmpty), and on POST a
     name already used, compared ignoring case, "Name is already used, must be unique (ignoring case)"
     (@UniqueRepositoryName, 3.84+);
  2. groups: members and writableMember (AbstractGroupRepositoriesApiResource#validateRequest, ConstraintViolation-
     Factory: `HelperBean.*` ids, all reported together);
  3. `validateRequest`: renaming (path ≠ body name, compared exactly), a missing blob store (case-insensitive
     lookup), a blob store change (compared exactly); its ValidationErrorsException is caught and answered as ONE
     object, 400 {"id":"*","message":"\\"<text>\\""};
  4. PUT of a repository that does not exist: 404, empty body (AuthorizingRepositoryManagerImpl#update) [inf: the
     same 404 for a name of another format or type];
  5. facet validation: a docker port already used gives a `HelperBean.` list [inf: the closed-source message].
  Success: POST 201, PUT 204 (replaces every attribute), DELETE 204 (and drops the name from every group).
- Blob stores (FileBlobStoreResource, BlobStoreResource, BlobStoreManagerImpl): POST 204, duplicate names ignoring
  case, "in use" on delete, the 404 texts (two spaces on delete).
"""
from __future__ import annotations

import re
from typing import Any, Callable, Optional

from tests.support.nexus_double_replies import Reply, empty, json_reply, message_error, validation_errors

NAME_RE = re.compile(r"^[a-zA-Z0-9\-]{1}[a-zA-Z0-9_\-\.]*$")
NAME_MESSAGE = ("Only letters, digits, underscores(_), hyphens(-), and dots(.) are allowed and may not start "
                "with underscore or dot.")
NAME_USED = "Name is already used, must be unique (ignoring case)"
BLOB_STORE_NOT_FOUND = "Blob store not found"
BLOB_STORE_CHANGE = "You cannot change a repository\u2019s blob store through the API"
RENAME = "Renaming a repository is not supported"
PRO_ONLY = "Deploying to groups is a PRO-licensed feature. See https://links.sonatype.com/product-nexus-repository"
JETTY_PORT = 8081


def lookup(table: dict, name: str) -> Optional[dict]:
    return table.get(name.lower())        # Nexus keeps a lower-cased name map (RepositoryManagerImpl)


# --------------------------------------------------------------------------------------------------------------
# Bean validation of repository bodies (ResteasyViolationExceptionMapper)

def _missing_required(body: dict, paths: tuple[str, ...]) -> list[tuple[str, str]]:
    """One `PARAMETER <leaf>` 'must not be null' per missing dotted path; members of a missing object are not
    reported (bean validation does not descend into a null)."""
    problems: list[tuple[str, str]] = []
    missing: set[str] = set()
    for dotted in paths:
        parent = dotted.rpartition(".")[0]
        node: Any = body
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            missing.add(dotted)
            if parent not in missing:
                problems.append((f"PARAMETER {dotted.split('.')[-1]}", "must not be null"))
    return problems


REQUIRED_REPO_FIELDS = {
    "hosted": ("online", "storage", "storage.blobStoreName", "storage.strictContentTypeValidation",
               "storage.writePolicy", "docker", "docker.v1Enabled", "docker.forceBasicAuth"),
    "proxy": ("online", "storage", "storage.blobStoreName", "storage.strictContentTypeValidation",
              "docker", "docker.v1Enabled", "docker.forceBasicAuth", "proxy", "proxy.remoteUrl",
              "proxy.contentMaxAge", "proxy.metadataMaxAge", "negativeCache", "negativeCache.enabled",
              "negativeCache.timeToLive", "httpClient", "dockerProxy", "dockerProxy.indexType"),
    "group": ("online", "storage", "storage.blobStoreName", "storage.strictContentTypeValidation",
              "group", "group.memberNames", "docker", "docker.v1Enabled", "docker.forceBasicAuth"),
}


def _bean_problems(body: dict, repo_type: str) -> list[tuple[str, str]]:
    name = body.get("name")
    problems = [("PARAMETER name", "must not be empty")] if not name else \
        [] if NAME_RE.match(name) else [("PARAMETER name", NAME_MESSAGE)]
    problems += _missing_required(body, REQUIRED_REPO_FIELDS[repo_type])
    if repo_type == "group" and (body.get("group") or {}).get("memberNames") == []:
        problems.append(("PARAMETER memberNames", "must not be empty"))
    if repo_type == "proxy" and (body.get("negativeCache") or {}).get("timeToLive", 0) < 0:
        # NegativeCacheFacetImpl.Config: @Min(0) timeToLive [src]; the REST id form is [inf]
        problems.append(("PARAMETER timeToLive", "must be greater than or equal to 0"))
    return problems


class StorageEndpoints:
    """Blob stores and docker repositories; NexusDouble supplies the state, `edition`, `url` and `check_writable`."""

    blob_stores: dict[str, dict]
    repositories: dict[str, dict]
    edition: str
    url: str
    check_writable: Callable[[], None]

    # ---- blob stores -----------------------------------------------------------------------------------------
    def list_blob_stores(self, _body: Any) -> Reply:
        return json_reply(200, [{"name": b["name"], "type": b.get("type", "File"), "unavailable": False, "blobCount": 0,
                                 "totalSizeInBytes": 0, "availableSpaceInBytes": 10 ** 12,
                                 **({"softQuota": b["softQuota"]} if b.get("softQuota") else {})}
                                for b in self.blob_stores.values()])

    def create_blob_store(self, body: Any) -> Reply:
        body = body or {}
        problems = [(f"PARAMETER {k}", f"{k.capitalize()} is required") for k in ("name", "path") if not body.get(k)]
        if not problems and not NAME_RE.match(body["name"]):
            problems.append(("PARAMETER name", NAME_MESSAGE))
        if problems:
            return validation_errors(*problems)
        if lookup(self.blob_stores, body["name"]):
            return validation_errors(("name", NAME_USED))
        self.check_writable()
        self.blob_stores[body["name"].lower()] = _blob_store_record(body["name"], body)
        return empty(204)

    def get_blob_store(self, _body: Any, name: str) -> Reply:
        store = lookup(self.blob_stores, name)
        if store is None:
            return message_error(404, f"Unable to find File '{name}' blobstore", quoted=False)
        if store.get("type", "File") != "File":
            return message_error(400, f"Unable to read non-file blob store configuration (type was {store['type']})")
        return json_reply(200, {k: v for k, v in store.items() if k != "name"})

    def update_blob_store(self, body: Any, name: str) -> Reply:
        store = lookup(self.blob_stores, name)
        if store is None:
            return message_error(404, f"Unable to find File '{name}' blobstore", quoted=False)
        if not (body or {}).get("path"):
            return validation_errors(("PARAMETER path", "Path is required"))
        self.check_writable()
        self.blob_stores[name.lower()] = _blob_store_record(store["name"], body)
        return empty(204)

    def delete_blob_store(self, _body: Any, name: str) -> Reply:
        store = lookup(self.blob_stores, name)
        if store is None:
            return message_error(404, f"Unable to find  '{name}' blobstore", quoted=False)
        if any(r["storage"]["blobStoreName"].lower() == name.lower() for r in self.repositories.values()):
            return message_error(400, f"BlobStore {store['name']} is in use and cannot be deleted")
        self.check_writable()
        del self.blob_stores[name.lower()]
        return empty(204)

    # ---- repositories ----------------------------------------------------------------------------------------
    def list_repositories(self, _body: Any) -> Reply:
        return json_reply(200, [{"name": r["name"], "format": r["format"], "type": r["type"],
                                 "url": self._repository_url(r["name"]), "online": r["online"],
                                 "attributes": {"proxy": {"remoteUrl": r["proxy"]["remoteUrl"]}}
                                 if r["type"] == "proxy" else {}}
                                for r in self.repositories.values()])

    def create_repository(self, body: Any, repo_type: str) -> Reply:
        body = body if isinstance(body, dict) else {}
        problems = _bean_problems(body, repo_type)
        if body.get("name") and lookup(self.repositories, body["name"]):
            problems.insert(0, ("PARAMETER name", NAME_USED))           # @UniqueRepositoryName, 3.84+
        problem = self._checked_request(body, repo_type, body.get("name"), problems) or self._facet_problem(body, None)
        if problem is not None:
            return problem
        self.check_writable()
        self.repositories[body["name"].lower()] = {**body, "format": "docker", "type": repo_type}
        return empty(201)

    def get_repository(self, _body: Any, repo_type: str, name: str) -> Reply:
        repo = lookup(self.repositories, name)
        if repo is None or (repo["format"], repo["type"]) != ("docker", repo_type):
            return message_error(404, "Repository not found")
        return json_reply(200, self._repository_view(repo))

    def update_repository(self, body: Any, repo_type: str, name: str) -> Reply:
        body = body if isinstance(body, dict) else {}
        problem = self._checked_request(body, repo_type, name, _bean_problems(body, repo_type))
        if problem is not None:
            return problem
        existing = lookup(self.repositories, name)
        if existing is None or (existing["format"], existing["type"]) != ("docker", repo_type):
            return empty(404)                            # [inf] for another format or type
        problem = self._facet_problem(body, existing)
        if problem is not None:
            return problem
        self.check_writable()
        # PUT replaces every attribute.
        self.repositories[name.lower()] = {**body, "name": existing["name"], "format": "docker", "type": repo_type}
        return empty(204)

    def delete_repository(self, _body: Any, name: str) -> Reply:
        if lookup(self.repositories, name) is None:
            return empty(404)
        self.check_writable()
        del self.repositories[name.lower()]
        for repo in self.repositories.values():          # removeRepositoryFromAllGroups
            if repo["type"] == "group":
                members = repo["group"]["memberNames"]
                members[:] = [m for m in members if m.lower() != name.lower()]
        return empty(204)

    def _checked_request(self, body: dict, repo_type: str, name: str, bean: list[tuple[str, str]]
                         ) -> Optional[Reply]:
        """Steps 1-3 of a POST (`name` = the body's) or PUT (`name` = the path's), in Nexus' order (module
        docstring); None when they pass."""
        if bean:
            return validation_errors(*bean)
        if repo_type == "group":
            problems = self._group_problems(body["group"])
            if problems:
                return validation_errors(*problems)
        message = self._validate_request(body, name)
        # ValidationErrorsException, caught by the resource and answered as one pre-quoted object.
        return None if message is None else message_error(400, message)

    def _validate_request(self, body: dict, name: str) -> Optional[str]:
        """AbstractRepositoriesApiResource#validateRequest: rename, blob store exists, blob store unchanged."""
        if body["name"] != name:
            return RENAME
        blob_store = body["storage"]["blobStoreName"]
        if lookup(self.blob_stores, blob_store) is None:
            return BLOB_STORE_NOT_FOUND
        existing = lookup(self.repositories, name)
        if existing is not None and existing["storage"]["blobStoreName"] != blob_store:
            return BLOB_STORE_CHANGE
        return None

    def _facet_problem(self, body: dict, existing: Optional[dict]) -> Optional[Reply]:
        port = body["docker"].get("httpPort")
        taken = {r["docker"].get("httpPort") for r in self.repositories.values()
                 if "docker" in r and r is not existing} | {JETTY_PORT}
        if port is not None and port in taken:
            # Closed-source message; the id form follows ConstraintViolationFactory (nexus-api §3, open point 1).
            return validation_errors(("HelperBean.docker.httpPort", f"Port {port} is already in use"))
        return None

    def _group_problems(self, group: dict) -> list[tuple[str, str]]:
        problems = []
        for member in group["memberNames"]:
            repo = lookup(self.repositories, member)
            if repo is None:
                problems.append(("HelperBean.memberNames", f"Member repository does not exist: {member}"))
            elif repo["format"] != "docker":
                problems.append(("HelperBean.memberNames",
                                 f"Member repository format does not match group repository format: {member}"))
        problem = self._writable_member_problem(group)
        return problems + ([("HelperBean.writableMember", problem)] if problem else [])

    def _writable_member_problem(self, group: dict) -> Optional[str]:
        """AbstractGroupRepositoriesApiResource#validateGroupDeploy."""
        writable = group.get("writableMember")
        if not writable:
            return None
        repo = lookup(self.repositories, writable)
        if self.edition != "PRO":
            return PRO_ONLY
        if repo is None:
            return "Writable member repository does not exist"
        if repo["type"] != "hosted":
            return "Writable member must be a hosted repository"
        if repo["format"] != "docker":
            return f"Writable member repository format does not match group repository format: {writable}"
        if writable not in group["memberNames"]:
            return "Writable member must be a member of the group"
        return None

    def _repository_view(self, repo: dict) -> dict:
        view = {k: v for k, v in repo.items() if k not in ("negativeCache", "httpClient", "storage")}
        view["url"] = self._repository_url(repo["name"])
        storage = repo["storage"]
        view["storage"] = {"blobStoreName": storage["blobStoreName"],
                           "strictContentTypeValidation": storage["strictContentTypeValidation"]}
        if repo["type"] == "hosted":
            view["storage"]["writePolicy"] = storage.get("writePolicy") or "ALLOW"    # stored as sent
        if repo["type"] == "proxy":
            client = repo.get("httpClient") or {}
            view["negativeCache"] = repo["negativeCache"]
            view["httpClient"] = {"blocked": bool(client.get("blocked")), "autoBlock": bool(client.get("autoBlock"))}
            if client.get("authentication"):      # only if configured, never its password or token [src]
                view["httpClient"]["authentication"] = {k: v for k, v in client["authentication"].items()
                                                        if k not in ("password", "bearerToken")}
        return view

    def _repository_url(self, name: str) -> str:
        return f"{self.url}/repository/{name}"


def _blob_store_record(name: str, body: dict) -> dict:
    return {"name": name, "path": body["path"], **({"softQuota": body["softQuota"]} if body.get("softQuota") else {})}

