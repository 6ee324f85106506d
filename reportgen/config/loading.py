"""Loading a unit: defaults file < unit YAML < REPORTGEN_ environment variables, every
problem in one error."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

from reportgen.config.base import DEFAULTS_FILE_NAME, ENV_PREFIX, url_scheme
from reportgen.config.source import FILE_DATABASES
from reportgen.config.unit import UnitConfig
from reportgen.errors import ConfigError


class ConfigErrors(ConfigError):
    """Several configuration problems found at once; the first one is the message."""

    def __init__(self, problems: list[ConfigError]) -> None:
        first = problems[0]
        super().__init__(first.message, unit=first.unit, file=first.file, hint=first.hint)
        self.problems = problems

    def one_line(self) -> str:
        """Return the first problem and how many more there are."""
        more = len(self.problems) - 1
        tail = f" (and {more} more; 'reportgen validate' lists them all)" if more else ""
        return self.problems[0].one_line() + tail


def load_unit_config(path: Path) -> UnitConfig:
    """Read a unit's YAML over the defaults file beside it, apply environment overrides, validate."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            "configuration file not found", file=path, hint="check the path passed to reportgen"
        )
    defaults_path = path.parent / DEFAULTS_FILE_NAME
    defaults = read_yaml_mapping(defaults_path) if defaults_path.is_file() else {}
    unit_values = read_yaml_mapping(path)
    merged = deep_merge(defaults, unit_values)
    unit_name = str(unit_values.get("unit", path.stem))
    try:
        config = UnitConfig(**merged)
    except ValidationError as exc:
        sources = [(path, unit_values), (defaults_path, defaults)]
        raise ConfigErrors(
            [_problem(err, unit_name, path, sources) for err in exc.errors()]
        ) from None
    def resolve(source_path: Path | str) -> Path | str:
        if isinstance(source_path, str):  # a URL
            return source_path
        return source_path if source_path.is_absolute() else (path.parent / source_path).resolve()

    source = config.source.model_copy(update={
        "path": resolve(config.source.path) if config.source.path is not None else None,
        "files": [file.model_copy(update={"path": resolve(file.path)})
                  for file in config.source.files],
    })
    if config.source.url is not None:
        source = source.model_copy(update={"url": resolved_file_url(config.source.url, path)})
    resolved = config.model_copy(update={"source": source})
    resolved._config_file = path
    return resolved


def resolved_file_url(url: str, config_path: Path) -> str:
    """A sqlite:/// or duckdb:/// URL whose relative file path is resolved from the YAML file's
    folder (sqlite:////abs/path and other databases unchanged)."""
    scheme, _, rest = url.partition(":///")
    if not rest or url_scheme(url) not in FILE_DATABASES:
        return url
    if rest.startswith("/") or rest.startswith(":memory:"):
        return url
    return f"{scheme}:///{(config_path.parent / rest).resolve()}"


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Return a YAML file's top-level mapping, or raise ConfigError naming the file and line."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ConfigError(f"invalid YAML at line {line}: {exc.problem}", file=path) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read configuration: {exc}", file=path) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError("the file must contain a mapping of keys to values", file=path)
    return loaded


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return base updated by override; nested mappings merge, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _problem(
    err: Any, unit: str, unit_file: Path, sources: list[tuple[Path, dict[str, Any]]]
) -> ConfigError:
    """Turn one pydantic error into a ConfigError naming the file (or variable) and key."""
    loc = tuple(str(part) for part in err["loc"])
    key = ".".join(loc)
    origin: str = str(unit_file)
    env_name = ENV_PREFIX + "__".join(loc).upper()
    if env_name in os.environ:
        origin = f"environment variable {env_name}"
    else:
        for file, values in sources:
            if _has_path(values, loc):
                origin = str(file)
                break
    if err["type"] == "extra_forbidden":
        return ConfigError(
            f"unknown key '{key}'", unit=unit, file=origin, hint="remove it or check its spelling"
        )
    if err["type"] == "missing":
        return ConfigError(f"missing required key '{key}'", unit=unit, file=origin)
    message = str(err["msg"]).removeprefix("Value error, ")
    where = f"key '{key}': " if key else ""
    return ConfigError(f"{where}{message}", unit=unit, file=origin)


def _has_path(values: Any, loc: tuple[str, ...]) -> bool:
    for part in loc:
        if isinstance(values, dict) and part in values:
            values = values[part]
        elif isinstance(values, list) and part.isdigit() and int(part) < len(values):
            values = values[int(part)]
        else:
            return False
    return True
