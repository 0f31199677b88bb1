"""Small data classes for the start-up path, without the standard library's `dataclasses`.

`benchaudit check` on a file with nothing to check must start about as fast as the
interpreter (issue 14). Importing `dataclasses` (it imports `inspect`) and processing a
dataclass cost that path ~12 ms and ~1 ms a class: more than the rest of the run. `record`
makes the few classes a run needs before any analysis (the request, the configuration, the
options, a file's result) with what they use of `dataclasses`: a generated `__init__` with
defaults and default factories, `__repr__`, `__eq__` over the compared fields, `__hash__` and
immutability when frozen, `__slots__`, pickling, and `replace()`. Type checkers read it as a
dataclass (`typing.dataclass_transform`). Classes that only runs with findings build (findings,
evidence) stay dataclasses: those runs import libcst, which imports `dataclasses` anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")

_MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """An attempt to change a field of a frozen record."""


class _Field:
    __slots__ = ("compare", "default", "factory")

    def __init__(self, default: Any, factory: Callable[[], Any] | None, compare: bool) -> None:
        self.default = default
        self.factory = factory
        self.compare = compare


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    compare: bool = True,
) -> Any:
    """A field's default (`default=` or a `default_factory=` called per instance), and whether
    `==` compares it."""
    return _Field(default, default_factory, compare)


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(field,))
def record(cls: Any = None, /, *, frozen: bool = False) -> Any:
    """The class as a slotted data class (frozen: immutable and hashable)."""

    def wrap(c: type[T]) -> type[T]:
        return _build(c, frozen)

    return wrap if cls is None else wrap(cls)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the record `obj` with `changes` (as `dataclasses.replace`)."""
    cls = type(obj)
    names: tuple[str, ...] = cls.__record_fields__  # type: ignore[attr-defined]
    unknown = set(changes) - set(names)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
    return cls(**{n: changes[n] if n in changes else getattr(obj, n) for n in names})


def _build(cls: type[T], frozen: bool) -> type[T]:
    annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 (no `inspect` here)
    names = tuple(n for n, t in annotations.items() if not str(t).startswith("ClassVar"))
    namespace = dict(cls.__dict__)
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    specs: dict[str, _Field] = {}
    for name in names:
        value = namespace.pop(name, _MISSING)
        specs[name] = value if isinstance(value, _Field) else _Field(value, None, True)
    compared = tuple(n for n in names if specs[n].compare)
    namespace["__slots__"] = names
    namespace["__record_fields__"] = names
    namespace["__init__"] = _init(cls.__qualname__, names, specs, frozen)
    namespace["__repr__"] = _repr
    namespace["__eq__"] = _eq(compared)
    namespace["__hash__"] = _hash(compared) if frozen else None
    if frozen:
        namespace["__setattr__"] = _frozen_setattr
        namespace["__delattr__"] = _frozen_delattr
        namespace["__getstate__"] = _getstate
        namespace["__setstate__"] = _setstate
    metaclass: Any = type(cls)
    built: type[T] = metaclass(cls.__name__, cls.__bases__, namespace)
    return built


def _init(
    qualname: str, names: tuple[str, ...], specs: dict[str, _Field], frozen: bool
) -> Callable[..., None]:
    glob: dict[str, Any] = {"_MISSING": _MISSING, "_set": object.__setattr__}
    params, body = [], []
    for name in names:
        spec = specs[name]
        if spec.factory is not None:
            glob[f"_f_{name}"] = spec.factory
            params.append(f"{name}=_MISSING")
            body.append(f"    if {name} is _MISSING: {name} = _f_{name}()")
        elif spec.default is not _MISSING:
            glob[f"_d_{name}"] = spec.default
            params.append(f"{name}=_d_{name}")
        else:
            params.append(name)
        body.append(f"    _set(self, {name!r}, {name})" if frozen else f"    self.{name} = {name}")
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass")
    exec(source, glob)  # one small function per class, compiled once at import
    init: Callable[..., None] = glob["__init__"]
    init.__qualname__ = f"{qualname}.__init__"
    return init


def _repr(self: Any) -> str:
    names: tuple[str, ...] = type(self).__record_fields__
    inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
    return f"{type(self).__qualname__}({inner})"


def _eq(compared: tuple[str, ...]) -> Callable[[Any, object], bool]:
    def __eq__(self: Any, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in compared)

    return __eq__


def _hash(compared: tuple[str, ...]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, n) for n in compared))

    return __hash__


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, n) for n in type(self).__record_fields__)


def _setstate(self: Any, state: tuple[Any, ...]) -> None:
    for name, value in zip(type(self).__record_fields__, state, strict=True):
        object.__setattr__(self, name, value)
