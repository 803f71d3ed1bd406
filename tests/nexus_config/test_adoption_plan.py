"""adoption.py's pure side: what the preflight refuses (and says), what a later run re-checks, the refusal of a
rename of an adopted repository, and the `blob_stores` output built from the stores really in use."""
from __future__ import annotations

from components.nexus_config import adoption as ad

HOSTED = ad.wanted_object(ad.REPOSITORY, "docker-hosted", "hostedRepo", fmt="docker", type_="hosted")
GROUP = ad.wanted_object(ad.REPOSITORY, "docker-group", "groupRepo", fmt="docker", type_="group")
STORE = ad.wanted_object(ad.BLOB_STORE, "docker-hosted", "hostedRepo", type_="file")
POLICY = ad.wanted_object(ad.CLEANUP_POLICY, "docker-proxy-cleanup", "proxyCleanupDays", fmt="docker")
USER = ad.wanted_object(ad.USER, "ci", "pushUsers")
ROLE = ad.wanted_object(ad.ROLE, "nexus-registry-docker-push", None)
WANTED = [STORE, HOSTED, GROUP, POLICY, USER, ROLE]


def found(**collections: list[dict]) -> dict:
    key = {"user": "userId"}
    return {c.replace("_", " "): {str(i.get(key.get(c, "name"))).lower(): {"name": i.get(key.get(c, "name")), **i}
                                  for i in items} for c, items in collections.items()}


def test_nothing_existing_nothing_refused_either_way():
    assert ad.problems(WANTED, found(), adopt=False) == [] == ad.problems(WANTED, found(), adopt=True)


def test_without_the_key_each_existing_object_is_named_with_the_key_and_what_adopting_does():
    there = found(repository=[{"name": "Docker-Hosted", "format": "docker", "type": "hosted"}],
                  blob_store=[{"name": "docker-hosted", "type": "File"}],
                  cleanup_policy=[{"name": "docker-proxy-cleanup", "format": "docker"}])
    out = ad.problems(WANTED, there, adopt=False)
    assert len(out) == 3
    assert out[1].startswith("docker hosted repository 'Docker-Hosted' already exists in Nexus (names ignore case)")
    for line in out:
        assert "set the stack key `adoptExisting` (pulumi config set adoptExisting true)" in line
        assert "never deleted, re-created or renamed; a repository keeps its blob store" in line
        assert line.endswith("Nothing was changed")
    assert ad.problems(WANTED, there, adopt=True) == []


def test_another_kind_is_refused_even_with_the_key_naming_object_found_and_wanted():
    there = found(repository=[{"name": "docker-hosted", "format": "docker", "type": "proxy"},
                              {"name": "docker-group", "format": "maven2", "type": "group"}],
                  blob_store=[{"name": "docker-hosted", "type": "S3"}])
    out = ad.problems(WANTED, there, adopt=True)
    assert out == [
        ad.wrong_kind("docker-hosted", "s3 blob store", "file blob store", "hostedRepo"),
        ad.wrong_kind("docker-hosted", "docker proxy repository", "docker hosted repository", "hostedRepo"),
        ad.wrong_kind("docker-group", "maven2 group repository", "docker group repository", "groupRepo")]
    assert out[2].startswith("'docker-group' exists in Nexus as a maven2 group repository; the stack wants a docker "
                             "group repository of that name. It cannot be adopted")
    assert "(stack key `groupRepo`)" in out[2]


def test_existing_users_and_roles_are_never_adopted():
    there = found(user=[{"userId": "CI"}], role=[{"name": "nexus-registry-docker-push"}])
    for adopt in (False, True):
        out = ad.problems(WANTED, there, adopt=adopt)
        assert out[0].startswith("user 'CI' (listed in `pushUsers`) already exists in Nexus. Users and roles are "
                                 "never adopted, not even with `adoptExisting`")
        assert "role 'nexus-registry-docker-push' already exists" in out[1]


def test_a_later_run_checks_only_what_an_earlier_one_had_not_approved():
    renamed = ad.wanted_object(ad.REPOSITORY, "team-hosted", "hostedRepo", fmt="docker", type_="hosted")
    assert ad.unchecked([renamed, GROUP], [HOSTED, {**GROUP, "name": "DOCKER-GROUP"}]) == [renamed]


def test_renaming_an_adopted_repository_is_refused_dropping_or_keeping_it_is_not():
    adopted = [HOSTED, STORE]
    renamed = {**HOSTED, "name": "team-hosted"}
    out = ad.renamed_adopted(adopted, [renamed, GROUP])
    assert out == [ad.replace_refused("docker hosted repository", "docker-hosted",
                                      ["its name (stack key `hostedRepo`: 'team-hosted')"])]
    assert "would replace it: delete it with its content and create a new one. Refused" in out[0]
    assert ad.renamed_adopted(adopted, [HOSTED]) == []                     # unchanged
    assert ad.renamed_adopted(adopted, [{**HOSTED, "name": "DOCKER-hosted"}]) == []   # case only
    assert ad.renamed_adopted(adopted, [GROUP]) == []                      # not in the program any more: kept


def test_the_blob_stores_output_shows_the_stores_really_used():
    declared = [{"name": "docker-hosted", "soft_quota": None, "quota_status": None, "adopted": False, "unused": True},
                {"name": "docker-proxy", "soft_quota": {"type": "spaceUsedQuota", "limit": 5}, "quota_status": None,
                 "adopted": True, "unused": False}]
    out = ad.blob_stores_in_use({"hosted": "hosted-blobs", "proxy": "docker-proxy", "group": "hosted-blobs"},
                                declared)
    assert out == {
        "hosted-blobs": {"soft_quota": None, "quota_status": None, "managed": False, "adopted": True,
                         "used_by": ["hosted", "group"]},
        "docker-proxy": {"soft_quota": {"type": "spaceUsedQuota", "limit": 5}, "quota_status": None, "managed": True,
                         "adopted": True, "used_by": ["proxy"]}}
    assert ad.in_use_names(["hosted-blobs", "docker-proxy", "Hosted-Blobs", None]) == ["hosted-blobs", "docker-proxy"]


def test_what_destroy_does_is_said_in_the_outputs():
    assert ad.on_destroy(True, True) == "kept in Nexus (adopted; retainData is true)"
    assert ad.on_destroy(True, False) == ad.on_destroy(False, True) == ad.on_destroy(None, True) \
        == "deleted by pulumi destroy"
