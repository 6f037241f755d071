"""Returning freed memory to the system (glibc keeps big freed buffers in its heap)."""

from __future__ import annotations

import ctypes
import linecache
import sys
from collections.abc import Iterable
from types import CodeType, FunctionType, ModuleType
from typing import Any

M_ARENA_MAX = -8  # glibc's mallopt parameter


def _glibc(name: str) -> Any:
    """A glibc function; None on other C libraries (nothing to do there)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL("libc.so.6"), name)
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _glibc("malloc_trim")
_MALLOPT = _glibc("mallopt")


def share_one_heap() -> None:
    """Let every thread allocate from the main heap. glibc gives each thread a heap of its
    own, and `malloc_trim` never returns the free top of those: the 25 MB a worker thread
    freed after reading or analysing a big document stayed in RSS for good. Call before
    the first thread starts. (The GIL serialises most allocations anyway.)"""
    if _MALLOPT is not None:
        _MALLOPT(M_ARENA_MAX, 1)


def import_asyncio_without_openssl() -> None:
    """asyncio imports `ssl` for TLS, and with it `_ssl`, libssl and libcrypto: ~4 MB of
    RSS the server never uses (it speaks stdio or plain TCP). asyncio is written to work
    where Python has no ssl, so it is imported while `ssl` is marked missing; a later
    `import ssl` gets the real module. (The file watcher keeps clear of anyio, whose
    asyncio backend would import it: see `features/watching.py`.)"""
    if "asyncio" in sys.modules or "ssl" in sys.modules:
        return
    sys.modules["ssl"] = None  # type: ignore[assignment]
    try:
        import asyncio  # noqa: F401
    finally:
        del sys.modules["ssl"]


GENERATED_SOURCES = ("<attrs generated", "<cattrs generated")


def forget_generated_sources() -> None:
    """attrs and cattrs file the source of every method they write in `linecache`, where
    only a traceback through that method would read it: lsprotocol's ~1,000 classes
    leave ~1.8 MB of lines there. The methods work the same without them."""
    for name in [name for name in linecache.cache if name.startswith(GENERATED_SOURCES)]:
        del linecache.cache[name]


def slim_generated_globals(modules: Iterable[ModuleType]) -> int:
    """Give the methods attrs generated for the classes of `modules` globals of their own
    that hold only the names their code reads. attrs runs each class's methods in a copy
    of its own module's globals (~340 names, ~6.5 KB): for lsprotocol's ~1,000 classes,
    ~5 MB of dicts the server kept for good. The methods run the same code, with the same
    defaults and closures. Returns how many methods were replaced: none under an attrs
    whose generated code this was not made for (`KNOWN_ATTRS`)."""
    if not _known_attrs():
        return 0
    replaced = 0
    seen: set[int] = set()
    for module in modules:
        for cls in list(vars(module).values()):
            if isinstance(cls, type) and "__attrs_attrs__" in cls.__dict__ and id(cls) not in seen:
                seen.add(id(cls))
                replaced += _slim_class(cls)
    return replaced


KNOWN_ATTRS = (24, 25, 26)  # major versions whose generated methods read only co_names


def _known_attrs() -> bool:
    import attrs

    major = attrs.__version__.partition(".")[0]
    return major.isdigit() and int(major) in KNOWN_ATTRS


def _slim_class(cls: type) -> int:
    by_globals: dict[int, list[tuple[str, FunctionType]]] = {}
    for name, value in list(cls.__dict__.items()):
        if isinstance(value, FunctionType) and value.__code__.co_filename.startswith(
            GENERATED_SOURCES
        ):
            by_globals.setdefault(id(value.__globals__), []).append((name, value))
    for methods in by_globals.values():
        shared = methods[0][1].__globals__
        owner = sys.modules.get(str(shared.get("__name__")))
        if owner is not None and vars(owner) is shared:
            continue  # a module's own globals: nothing copied
        wanted: set[str] = set()
        for _, method in methods:
            _global_names(method.__code__, wanted)
        own = {name: shared[name] for name in wanted if name in shared}
        own["__builtins__"] = shared.get("__builtins__", __builtins__)
        for name, method in methods:
            setattr(cls, name, _with_globals(method, own))
    return sum(len(methods) for methods in by_globals.values())


def _global_names(code: CodeType, into: set[str]) -> None:
    """Every name `code` may look up in its globals (its nested functions' too)."""
    into.update(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _global_names(const, into)


def _with_globals(method: FunctionType, own: dict[str, Any]) -> FunctionType:
    copy = FunctionType(
        method.__code__, own, method.__name__, method.__defaults__, method.__closure__
    )
    copy.__kwdefaults__ = method.__kwdefaults__
    copy.__qualname__ = method.__qualname__
    copy.__doc__ = method.__doc__
    copy.__module__ = method.__module__
    copy.__annotations__ = method.__annotations__
    copy.__dict__.update(method.__dict__)
    return copy


def release_free_memory() -> None:
    """Give the heap's free pages back to the system. A big document's buffers (a didOpen
    body, the text of each version) are freed into glibc's heap, which keeps them in RSS;
    while edits come in, that keeps the next version's buffer warm (no page faults for a
    25 MB copy), so the server trims only once the document has been quiet a moment."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
