"""The dataclass method cache (satchel.tools.dataclass_cache) changes nothing but speed."""

from __future__ import annotations

import dataclasses
import gc
import importlib.util
import marshal
from pathlib import Path

import pytest

import satchel  # noqa: F401  (installs the cache)
from satchel.tools import dataclass_cache


def _make() -> type:
    @dataclasses.dataclass(frozen=True, order=True)
    class Point:
        x: int
        y: int = 2
        tags: list[str] = dataclasses.field(default_factory=list)

    return Point


def test_classes_built_from_cached_code_behave_as_compiled_ones() -> None:
    before = dataclass_cache.stats()
    first, second = _make(), _make()  # the second class takes the first one's code
    after = dataclass_cache.stats()
    assert after["hits"] > before["hits"]
    for cls in (first, second):
        p = cls(1)
        assert (p.x, p.y, p.tags) == (1, 2, [])
        assert cls(1) == p and cls(0) < p
        assert repr(p).endswith("Point(x=1, y=2, tags=[])")
        assert cls(1).tags is not p.tags  # default_factory runs per instance
        with pytest.raises(dataclasses.FrozenInstanceError):
            p.x = 3  # type: ignore[misc]
        with pytest.raises(TypeError):
            cls()
    assert first.__init__ is not second.__init__  # each class its own functions


def test_the_cache_file_holds_code_keyed_by_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "__pycache__" / "dataclasses.test.marshal"
    monkeypatch.setattr(dataclass_cache, "cache_path", lambda: target)
    _make()
    assert dataclass_cache.save(force=True)
    blob = target.read_bytes()
    assert blob.startswith(importlib.util.MAGIC_NUMBER)  # another Python ignores it
    saved = marshal.loads(blob[len(importlib.util.MAGIC_NUMBER):])
    assert any("def __init__(self,x:_type_x" in text for text in saved)
    assert all(type(code).__name__ == "code" for code in saved.values())
    assert not list(target.parent.glob("*.tmp"))  # written whole, then renamed


def test_an_unwritable_place_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(dataclass_cache, "cache_path", lambda: blocker / "sub" / "x.marshal")
    assert dataclass_cache.save(force=True) is False


def test_run_serve_gives_the_collector_back_when_start_up_fails(tmp_path: Path) -> None:
    """Start-up pauses garbage collection; a failing start (a busy port) resumes it."""
    import socket

    from satchel.cli import make_config, run_serve

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        with pytest.raises(SystemExit):
            run_serve(make_config(data_dir=str(tmp_path / "pb_data"), http=f"127.0.0.1:{port}", workers=1))
    finally:
        busy.close()
    assert gc.isenabled()


def test_released_the_cache_leaves_dataclasses_as_they_were() -> None:
    """Once serving, the cache is dropped and ``dataclasses`` compiles on its own again."""
    import subprocess
    import sys

    script = (
        "import dataclasses, satchel\n"
        "from satchel.tools import dataclass_cache as c\n"
        "assert 'exec' in vars(dataclasses)\n"
        "assert dataclasses._is_type is c._is_type\n"
        "c.release()\n"
        "assert 'exec' not in vars(dataclasses) and dataclasses._is_type is c._STDLIB_IS_TYPE\n"
        "before = c.stats()\n"
        "@dataclasses.dataclass\n"
        "class P:\n"
        "    x: int = 1\n"
        "assert P() == P(1) and c.stats() == before\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "ok"


def test_the_precompile_split_loads_the_second_file_on_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts used before ``mark_start()`` go to the first file, the others to the second,
    which a process reads only when a text is missing from the first."""
    target = tmp_path / "__pycache__" / "dataclasses.test.marshal"
    monkeypatch.setattr(dataclass_cache, "cache_path", lambda: target)
    monkeypatch.setattr(dataclass_cache, "_used", {})
    monkeypatch.setattr(dataclass_cache, "_start", None)

    @dataclasses.dataclass
    class Early:
        a: int

    dataclass_cache.mark_start()

    @dataclasses.dataclass
    class Late:
        late_field: int

    assert dataclass_cache.save(force=True)
    magic = len(importlib.util.MAGIC_NUMBER)
    first = marshal.loads(target.read_bytes()[magic:])
    rest = marshal.loads(dataclass_cache.rest_path().read_bytes()[magic:])
    assert any("self,a:" in t for t in first) and not any("late_field" in t for t in first)
    assert any("late_field" in t for t in rest) and not set(first) & set(rest)

    # a process that loaded only the first file reads the second on its first miss
    monkeypatch.setattr(dataclass_cache, "_cache", dict(first))
    monkeypatch.setattr(dataclass_cache, "_rest_keys", set())
    monkeypatch.setitem(dataclass_cache._state, "rest_loaded", False)
    before = dataclass_cache.stats()

    @dataclasses.dataclass
    class LateAgain:
        late_field: int

    after = dataclass_cache.stats()
    assert after["rest_loaded"] == 1 and after["misses"] == before["misses"]
    assert LateAgain(3).late_field == 3



def test_is_type_answers_as_the_standard_library() -> None:
    """The annotation test kept per text gives dataclasses' own answers, aliases included."""
    import sys
    import types
    import typing

    module = types.ModuleType("satchel_is_type_probe")
    module.__dict__.update(typing=typing, t=typing, dc=dataclasses, ClassVar=typing.ClassVar, CV=typing.ClassVar,
                           InitVar=dataclasses.InitVar, KW_ONLY=dataclasses.KW_ONLY, Any=typing.Any)
    sys.modules[module.__name__] = module
    try:
        cls = type("Probe", (), {"__module__": module.__name__})
        texts = ["ClassVar[int]", "CV[int]", "typing.ClassVar[int]", "t.ClassVar", " ClassVar", "InitVar[str]",
                 "dc.InitVar[int]", "KW_ONLY", "dc.KW_ONLY", "str", "list[int]", "Any", "os.ClassVar", "", "[int]",
                 "Missing[int]"]
        checks = [(typing, typing.ClassVar, dataclasses._is_classvar),  # type: ignore[attr-defined]
                  (dataclasses, dataclasses.InitVar, dataclasses._is_initvar),  # type: ignore[attr-defined]
                  (dataclasses, dataclasses.KW_ONLY, dataclasses._is_kw_only)]  # type: ignore[attr-defined]
        for _ in range(2):  # parsed, then from the kept parse
            for text in texts:
                for a_module, a_type, predicate in checks:
                    expected = dataclass_cache._STDLIB_IS_TYPE(text, cls, a_module, a_type, predicate)
                    assert dataclass_cache._is_type(text, cls, a_module, a_type, predicate) is expected, text
        assert dataclass_cache._is_type("CV[int]", cls, typing, typing.ClassVar, dataclasses._is_classvar)  # type: ignore[attr-defined]
    finally:
        del sys.modules[module.__name__]
