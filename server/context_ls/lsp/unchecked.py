"""`Position`, `Range` and `Diagnostic` values made without attrs' validators.

lsprotocol's generated `__init__` checks every field (a position's two numbers are each
checked to be unsigned 32-bit ints): ~1.2 µs a `Position`, and a big Claude Code file's
10k diagnostics hold 21k of them, ~25 ms of the ~120 ms their conversion took. The values
made here come from byte offsets and findings, valid by construction, so their slots are
filled directly (~0.4 µs). An lsprotocol whose classes have other fields than these is
served by its own constructors (equal values, only slower).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs
from lsprotocol import types

_new = object.__new__
T = TypeVar("T")


def _setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[[Any, Any], None], ...] | None:
    """The slot setters of `cls`'s fields, when they are exactly `names` (None otherwise)."""
    try:
        fields = tuple(field.name for field in attrs.fields(cls))
        setters = tuple(getattr(cls, name).__set__ for name in names)
    except (TypeError, AttributeError):
        return None
    return setters if fields == names else None


_DIAGNOSTIC = _setters(
    types.Diagnostic,
    (
        "range",
        "message",
        "severity",
        "code",
        "code_description",
        "source",
        "tags",
        "related_information",
        "data",
    ),
)


def _pair(cls: type[T], names: tuple[str, str]) -> Callable[[Any, Any], T]:
    """A maker of `cls` values from their two fields, `names`."""
    setters = _setters(cls, names)
    if setters is None:
        return lambda a, b: cls(**{names[0]: a, names[1]: b})
    set_a, set_b = setters

    def make(a: Any, b: Any) -> T:
        made = _new(cls)
        set_a(made, a)
        set_b(made, b)
        return made

    return make


position: Callable[[int, int], types.Position] = _pair(types.Position, ("line", "character"))
range_: Callable[[types.Position, types.Position], types.Range] = _pair(
    types.Range, ("start", "end")
)


def diagnostic(
    place: types.Range,
    message: str,
    severity: types.DiagnosticSeverity,
    code: str,
    code_description: types.CodeDescription | None,
    source: str,
    related: list[types.DiagnosticRelatedInformation] | None,
    data: Any,
) -> types.Diagnostic:
    """A diagnostic without tags (ours have none)."""
    if _DIAGNOSTIC is None:
        return types.Diagnostic(
            range=place,
            message=message,
            severity=severity,
            code=code,
            code_description=code_description,
            source=source,
            related_information=related,
            data=data,
        )
    made = _new(types.Diagnostic)
    s_range, s_message, s_severity, s_code, s_link, s_source, s_tags, s_related, s_data = (
        _DIAGNOSTIC
    )
    s_range(made, place)
    s_message(made, message)
    s_severity(made, severity)
    s_code(made, code)
    s_link(made, code_description)
    s_source(made, source)
    s_tags(made, None)
    s_related(made, related)
    s_data(made, data)
    return made
