"""A sweep's specification (`SPEC.toml`): which config keys to search over, and how to rank the trials.

Pure data and checks, no Ray: a bad spec is refused before anything starts, naming the key.

```toml
[sweep]
trials = 8                     # samples drawn from the search space (each grid value once per sample)
max_concurrent = 2             # trials at once on this machine (a cluster runs as many as it has CPUs)
target_fa_per_hour = 0.5       # trials are ranked by false rejects at this false-accept rate
board = "edgebadge"            # whose flash/RAM each trial must fit
grace_steps = 1000             # ASHA stops poor trials only after this many steps

[base]                         # set for every trial (dotted config keys, as in wakebench.toml)
"training.steps" = [3000, 500]

[search]                       # one distribution per key
"training.learning_rates" = { choice = [[0.001, 0.0001], [0.003, 0.0003]] }
"training.model" = { choice = ["tiny_conv", "ds_cnn"] }
"recognizer.average_window_ms" = { grid = [200, 400] }
"training.background_volume" = { uniform = [0.05, 0.2] }
```
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import ProjectConfig, config_from_dict
from core.errors import ConfigError

DISTRIBUTIONS = ("choice", "grid", "uniform", "loguniform", "randint")
SWEEP_KEYS = {"trials", "max_concurrent", "target_fa_per_hour", "board", "grace_steps"}


@dataclass(frozen=True)
class Distribution:
    """One searched key: `kind` is one of DISTRIBUTIONS, `values` its choices or its [low, high]."""

    kind: str
    values: list[Any]


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep specification."""

    name: str
    """The spec file's stem: names the sweep folder and the trials' run folders."""
    search: dict[str, Distribution]
    base: dict[str, Any] = field(default_factory=dict)
    trials: int = 4
    max_concurrent: int = 2
    target_fa_per_hour: float = 0.5
    board: str = "edgebadge"
    grace_steps: int = 1000

    @property
    def digest(self) -> str:
        """Changes whenever the searched space or the base settings change (a changed spec is a new sweep)."""
        text = json.dumps(
            {"search": {k: dataclasses.asdict(d) for k, d in self.search.items()}, "base": self.base},
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:8]


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and check SPEC.toml; every problem is a ConfigError that names the key."""
    path = Path(path)
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such sweep spec") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return parse_sweep_spec(values, path.stem, where=path.name)


def parse_sweep_spec(values: dict[str, Any], name: str, where: str = "sweep spec") -> SweepSpec:
    unknown_tables = set(values) - {"sweep", "base", "search"}
    if unknown_tables:
        raise ConfigError(
            f"{where}: unknown table {sorted(unknown_tables)[0]!r}", "a spec has [sweep], [base] and [search]"
        )
    settings = values.get("sweep", {})
    for key in settings:
        if key not in SWEEP_KEYS:
            raise ConfigError(
                f"{where}: unknown setting sweep.{key}", f"known: {', '.join(sorted(SWEEP_KEYS))}"
            )
    search_values = values.get("search", {})
    if not search_values:
        raise ConfigError(
            f"{where}: the search space is empty",
            'add a [search] table, e.g. "training.model" = { choice = [...] }',
        )
    search = {key: _distribution(key, spec, where) for key, spec in search_values.items()}
    base = dict(values.get("base", {}))
    both = set(search) & set(base)
    if both:
        raise ConfigError(f"{where}: {sorted(both)[0]} is both in [base] and in [search]")
    defaults = ProjectConfig()
    for key in [*base, *search]:
        check_config_key(defaults, key, where)
    # Every fixed value and every choice must make a config that loads (types, ranges, cadence rules).
    apply_overrides(defaults, base, where=f"{where} [base]")
    for key, dist in search.items():
        samples = dist.values if dist.kind in ("choice", "grid") else dist.values[:1]
        for sample in samples:
            apply_overrides(defaults, {**base, key: sample}, where=f"{where} [search] {key}")
    spec = SweepSpec(name=name, search=search, base=base)
    replaced = {k: settings[k] for k in settings}
    try:
        spec = dataclasses.replace(spec, **replaced)
    except TypeError as exc:  # pragma: no cover - keys are checked above
        raise ConfigError(f"{where}: {exc}") from None
    for key in ("trials", "max_concurrent", "grace_steps"):
        value = getattr(spec, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{where}: sweep.{key} must be a whole number of at least 1, got {value!r}")
    if not isinstance(spec.target_fa_per_hour, (int, float)) or spec.target_fa_per_hour <= 0:
        raise ConfigError(
            f"{where}: sweep.target_fa_per_hour must be positive, got {spec.target_fa_per_hour!r}"
        )
    return spec


def _distribution(key: str, spec: Any, where: str) -> Distribution:
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ConfigError(
            f"{where}: search.{key} must be one distribution",
            f"e.g. {key} = {{ choice = [...] }}; distributions: {', '.join(DISTRIBUTIONS)}",
        )
    ((kind, values),) = spec.items()
    if kind not in DISTRIBUTIONS:
        raise ConfigError(
            f"{where}: search.{key}: unknown distribution {kind!r}", f"use one of {', '.join(DISTRIBUTIONS)}"
        )
    if not isinstance(values, list) or not values:
        raise ConfigError(f"{where}: search.{key}: {kind} needs a non-empty list, got {values!r}")
    if kind in ("uniform", "loguniform", "randint"):
        if len(values) != 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
        ):
            raise ConfigError(f"{where}: search.{key}: {kind} takes [low, high], got {values!r}")
        low, high = values
        if not low < high or (kind == "loguniform" and low <= 0):
            raise ConfigError(
                f"{where}: search.{key}: {kind} needs 0 < low < high (log) or low < high, got {values!r}"
            )
    return Distribution(kind, list(values))


def check_config_key(config: ProjectConfig, key: str, where: str) -> None:
    """Refuse a dotted key that is not a setting of wakebench.toml (e.g. `training.modle`)."""
    obj: Any = config
    parts = key.split(".")
    for i, part in enumerate(parts):
        names = [f.name for f in dataclasses.fields(obj)]
        if part not in names:
            prefix = ".".join(parts[:i])
            raise ConfigError(
                f"{where}: unknown config key {key!r}",
                f"settings{' of ' + prefix if prefix else ''}: {', '.join(names)}",
            )
        obj = getattr(obj, part)
        last = i == len(parts) - 1
        if dataclasses.is_dataclass(obj) == last:
            kind = "a table" if not last else "a single setting"
            raise ConfigError(f"{where}: config key {key!r} must name {kind}")


def apply_overrides(config: ProjectConfig, overrides: dict[str, Any], where: str = "sweep") -> ProjectConfig:
    """`config` with dotted keys set, checked exactly as a loaded wakebench.toml is."""
    values = config.to_dict()
    for key, value in overrides.items():
        *tables, last = key.split(".")
        target = values
        for table in tables:
            target = target[table]
        target[last] = value
    try:
        return config_from_dict(values)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.message}", exc.hint) from None
