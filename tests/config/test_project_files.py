"""Pulumi.yaml, the stack files and components/config.py agree, as the Pulumi CLI would require."""
from __future__ import annotations

import pytest

from components.config_keys import KEYS, KEYS_BY_NAME, SECRET_BY_RULE
from components.config import parse_settings
from tests.support.stack import project_file, stack_config, stack_file

SIMPLE_TYPES = {"string", "integer", "boolean", "array"}


def test_project_runs_python_from_the_venv():
    project = project_file()
    assert project["name"] == "nexus-registry"
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}


def test_every_key_is_typed_and_described():
    for key, decl in project_file()["config"].items():
        assert decl.get("type") in SIMPLE_TYPES, key
        assert decl.get("description", "").strip(), f"{key} has no description"
        if decl["type"] == "array":
            assert decl["items"]["type"] in SIMPLE_TYPES - {"array"}, key
        assert not (decl.get("secret") and "default" in decl), f"{key}: Pulumi refuses a secret with a default"


def test_declarations_match_the_settings_parser():
    decls = project_file()["config"]
    assert list(decls) == [k.name for k in KEYS]
    for key, decl in decls.items():
        spec = KEYS_BY_NAME[key]
        assert decl["type"] == spec.type, key
        assert decl.get("default") == spec.default, key
        assert bool(decl.get("secret")) == spec.secret, key
    for key in SECRET_BY_RULE:
        assert "secret" in decls[key]["description"], f"{key}'s description must say it is secret"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_use_declared_keys_with_the_right_types(stack):
    decls = project_file()["config"]
    for full_key in stack_file(stack)["config"]:
        project, key = full_key.split(":", 1)
        assert project == "nexus-registry" and key in decls, full_key
        assert key not in SECRET_BY_RULE, f"{full_key} must be set with --secret, not in the stack file"
    stack_config(stack)   # raises like the CLI on a type mismatch


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_settings_parse(stack):
    config, secret_keys = stack_config(stack)
    raw = {k.split(":", 1)[1]: v for k, v in config.items()}
    settings = parse_settings(raw, {k.split(":", 1)[1] for k in secret_keys})
    assert settings.registry_host == stack_file(stack)["config"]["nexus-registry:publicIps"][0]


def test_a_type_mismatch_is_refused_like_the_cli():
    with pytest.raises(TypeError, match="registryPort"):
        stack_config("dev", {"registryPort": "30443"})
