"""The entry points `core/__init__.py` names exist where it says (a move that forgets the list fails here)."""

from __future__ import annotations

import importlib
import re

import core


def resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ModuleNotFoundError(dotted)


def test_every_named_entry_point_exists():
    names = re.findall(r"`(core\.[\w.]+)`", core.__doc__ or "")
    assert len(names) >= 20
    for name in names:
        assert resolve(name) is not None, name
