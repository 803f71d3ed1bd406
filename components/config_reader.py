"""Reading raw stack config values: `ConfigReader` applies each key's KeySpec default and type and collects every
problem (`ConfigProblem`, raised together as `SettingsError`) instead of stopping at the first; `Secret` keeps a
secret value out of reprs, errors and logs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Optional

from components.config_keys import KEYS_BY_NAME, PROJECT, SECRET_BY_RULE
from components.config_values import DEFAULT_NEXUS_PASSWORD, as_bool, as_int, as_list


class Secret:
    """A string that never shows itself in repr/str (settings get printed in errors and logs)."""
    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(****)"

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class ConfigProblem:
    key: str
    value: object
    reason: str

    def __str__(self) -> str:
        return f"{PROJECT}:{self.key} = {self.value!r}: {self.reason}"


class SettingsError(ValueError):
    """All the problems found in the stack config; str() names each key and bad value."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid stack configuration ({len(problems)} problem(s)):\n{lines}")

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.problems]


class ConfigReader:
    """Reads keys with their KeySpec defaults and collects problems instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, Optional[str]], secret_keys: frozenset[str]):
        self.raw = raw
        self.secret_keys = secret_keys
        self.problems: list[ConfigProblem] = []

    def fail(self, key: str, value: object, reason: str) -> None:
        shown = "****" if key in SECRET_BY_RULE and value not in ("", None, DEFAULT_NEXUS_PASSWORD) else value
        self.problems.append(ConfigProblem(key, shown, reason))

    def value(self, key: str, check: Callable | None = None):
        spec = KEYS_BY_NAME[key]
        raw = self.raw.get(key)
        if raw is None:
            if spec.default is None:
                self.fail(key, None, "is required (pulumi config set"
                          + (" --secret" if spec.secret else "") + f" {key} …)")
                return None
            value = spec.default
        else:
            try:
                value = {"string": str, "boolean": as_bool, "integer": as_int, "array": as_list}[spec.type](raw)
            except ValueError as e:
                self.fail(key, raw, str(e))
                return None
        return self.checked(key, value, check)

    def checked(self, key: str, value, check: Callable | None):
        if check is None:
            return value
        try:
            return check(value)
        except ValueError as e:
            self.fail(key, value, str(e))
            return None

    def each(self, key: str, values: Optional[list], check: Callable) -> tuple:
        out = []
        for item in values or []:
            try:
                out.append(check(item))
            except ValueError as e:
                self.fail(key, item, str(e))
        return tuple(out)

    def secret(self, key: str, value: Optional[str]) -> Optional[Secret]:
        if value and key not in self.secret_keys:
            self.fail(key, "<plaintext>", f"must be stored encrypted: pulumi config set --secret {key} …")
        return Secret(value) if value else None
