"""The state contract: every dynamic provider's `module.Class` path, as Pulumi stores it.

Each dynamic resource's `__provider` input is the provider instance pickled *by reference*: the stack state
holds the class's module path, and `pulumi refresh` / `pulumi destroy` import that path again, possibly months
later, with whatever code is checked out then. So a path listed here must stay importable forever. Moving or
renaming a provider class means: keep the old module as an alias that re-exports the class from its new home,
add the new path here, and keep the old one (see docs/contributing.md).
"""
from __future__ import annotations

import base64
import importlib
import pickle
import pkgutil
import sys

import dill
import pulumi
import pytest
from pulumi.dynamic import ResourceProvider

import components

# Every path any stack state may hold. Append only; never remove a line once a release has shipped it.
STORED_PROVIDER_PATHS = (
    "components.nexus_config.repositories.BlobStoreProvider",
    "components.nexus_config.repositories.DockerHostedRepositoryProvider",
    "components.nexus_config.repositories.DockerProxyRepositoryProvider",
    "components.nexus_config.repositories.DockerGroupRepositoryProvider",
    "components.nexus_config.server_settings.ActiveRealmsProvider",
    "components.nexus_config.server_settings.AnonymousAccessProvider",
    "components.nexus_config.server_settings.CommunityEulaProvider",
    "components.nexus_config.housekeeping.CleanupPolicyProvider",
    "components.nexus_config.housekeeping.HousekeepingTasksProvider",
    "components.nexus_config.accounts.RoleProvider",
    "components.nexus_config.accounts.LocalUserProvider",
    "components.nexus_config.user_roles.UserRolesProvider",
)


def _resolve(path: str) -> type:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _global_pickle(path: str) -> bytes:
    """The bytes by which a pickle refers to a class (protocol 0 GLOBAL): what the state keeps of it."""
    module, _, name = path.rpartition(".")
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n."


def pickles_by_reference(cls: type) -> bool:
    """Whether Pulumi's own serializer stores `cls` by reference (module path + name), as the state contract needs.
    A class pickled by value also carries its module name (in its __dict__), so the test for that is what comes
    back: by reference the very class, by value a new class that dill rebuilt (`_create_type`)."""
    from pulumi.dynamic.dynamic import serialize_provider
    raw = base64.b64decode(serialize_provider(cls()))
    return b"_create_type" not in raw and type(dill.loads(raw)) is cls


def provider_classes() -> list[type]:
    """The provider class of every dynamic resource defined in components/ (what `__provider` pickles)."""
    for info in pkgutil.walk_packages(components.__path__, "components."):
        importlib.import_module(info.name)          # side-effect free by rule (tested here too)
    found, todo = set(), [pulumi.dynamic.Resource]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            provider = vars(sub).get("_provider")
            if sub.__module__.startswith("components.") and isinstance(provider, type):
                found.add(provider)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


@pytest.mark.parametrize("path", STORED_PROVIDER_PATHS)
def test_every_stored_path_still_imports_a_provider_class(path):
    cls = _resolve(path)
    assert isinstance(cls, type) and issubclass(cls, ResourceProvider), path
    assert pickle.loads(_global_pickle(path)) is cls


def test_every_provider_class_pickles_under_a_listed_path():
    classes = provider_classes()
    assert classes, "no provider classes found under components/"
    for cls in classes:
        path = f"{cls.__module__}.{cls.__qualname__}"
        assert path in STORED_PROVIDER_PATHS, (
            f"{path} is not in STORED_PROVIDER_PATHS: a new provider must be listed; a moved one must keep its "
            f"old module as an alias (docs/contributing.md) and list the new path too")
        assert pickles_by_reference(cls), f"{path} must pickle by reference"


def test_the_by_reference_check_catches_a_class_pickled_by_value():
    """A provider class that cannot be found again under its module path is pickled by value; the check sees it."""
    cls = _resolve(STORED_PROVIDER_PATHS[0])
    by_value = type(cls.__name__, (cls,), {"__module__": cls.__module__})    # not what the module holds
    assert cls.__module__.encode() in dill.dumps(by_value())     # why the module name in the bytes proves nothing
    assert not pickles_by_reference(by_value)
    assert pickles_by_reference(cls)


def test_an_alias_module_keeps_an_old_path_loadable(tmp_path, monkeypatch):
    """How a move is done: the old module stays as an alias that re-exports the class from its new home, and
    state that names the old path still loads the same class."""
    cls = _resolve(STORED_PROVIDER_PATHS[0])
    (tmp_path / "old_provider_home.py").write_text(
        f"# alias kept for stack state written before the move\nfrom {cls.__module__} import {cls.__name__}  # noqa: F401\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert pickle.loads(_global_pickle(f"old_provider_home.{cls.__name__}")) is cls
    finally:
        sys.modules.pop("old_provider_home", None)
    with pytest.raises(ModuleNotFoundError):          # and without the alias, the old path is gone
        pickle.loads(_global_pickle(f"no_such_provider_home.{cls.__name__}"))


def test_pulumis_serializer_still_leaves_the_pickler_wrapped():
    """Why tests/conftest.py restores pickle._Pickler after each test: serialize_provider (pulumi 3.x) wraps
    `_batch_setitems` once more per call and never unwraps it. When this fails, Pulumi fixed it: drop the fixture."""
    from pulumi.dynamic.dynamic import serialize_provider
    before = pickle._Pickler._batch_setitems
    serialize_provider(ResourceProvider())
    assert pickle._Pickler._batch_setitems is not before
