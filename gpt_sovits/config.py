"""Shared helpers for dataclass configs: strict loading, dict round trips and named presets.

Every model/training config in the package is a ``@dataclass`` that inherits :class:`StrictConfig`.
Loading from a dict rejects unknown keys (a typo in a config file must not be silently ignored).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T", bound="StrictConfig")


class ConfigError(ValueError):
    """A config dict has unknown or invalid keys."""


@dataclasses.dataclass
class StrictConfig:
    """Mixin for dataclass configs: ``to_dict`` / ``from_dict`` with strict keys, ``replace``."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        names = {f.name: f for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ConfigError(
                f"{cls.__name__}: unknown key(s) {unknown}; valid keys are {sorted(names)}"
            )
        kwargs = {}
        for key, value in data.items():
            kwargs[key] = _coerce(names[key].type, value)
        return cls(**kwargs)

    def replace(self: T, **changes: Any) -> T:
        return dataclasses.replace(self, **changes)


def _coerce(annotation: Any, value: Any) -> Any:
    """Turn JSON lists back into tuples where the field is declared as a tuple."""
    text = str(annotation)
    if isinstance(value, list) and text.startswith("tuple"):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


def preset(presets: dict[str, T], name: str) -> T:
    """Look up a named preset with a helpful error listing the valid names."""
    try:
        return presets[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose one of {sorted(presets)}") from None


def recommendation(data: Any, where: str, section: str, allowed: tuple[str, ...], example: str) -> dict[str, Any]:
    """A manifest's optional ``section`` object (e.g. profile.json "synthesis"): ``{}`` when
    ``data`` is None; ValueError naming ``where`` when it is not an object of ``allowed`` keys.
    The caller then validates the values."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ValueError(f'{where}: "{section}" must be an object such as {example}, got {data!r}')
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValueError(f'{where}: "{section}" cannot set {unknown}; it may set {list(allowed)}')
    return dict(data)
