"""Read policy: who may read an aggregate, which of its records, and which fields of them.

Decided once per aggregate (`<feature>/policy.py`) and asked by every read path — single reads,
lists, histories and their verification, exports, public routes — so no route writes its own
jurisdiction or masking check. Polar's `get_readable_statement(auth_subject)` is the pattern: a
policy answers for one reader and one record, and narrows a list query for one reader.

Order of refusals, the same on every path: a role that may not read this kind of record at all →
403 ROLE_FORBIDDEN; a record that is absent or that this reader may not see → the aggregate's own
404 (another county's record looks absent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Select

from jiuzhu_kit import divisions
from jiuzhu_kit.auth import Principal, Role, RoleForbidden
from jiuzhu_kit.errors import NotFound

R = TypeVar("R")
Masker = Callable[[Any], Any]
_DROP = object()


@dataclass(frozen=True)
class View:
    """What one reader sees of one record. `masked` maps a field to its masking function, `hidden`
    names fields the reader must not see at all. A path is a top-level key, or `key[].sub` for a
    field of each object in a list (e.g. a contract's `parties[].contact_phone`)."""

    masked: Mapping[str, Masker] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()

    @property
    def full(self) -> bool:
        return not self.masked and not self.hidden

    def _field(self, key: str, value: Any) -> Any:
        if key in self.hidden:
            return _DROP
        if key in self.masked:
            return self.masked[key](value)
        inner = {p[len(key) + 3 :]: m for p, m in self.masked.items() if p.startswith(key + "[].")}
        if inner and isinstance(value, list):
            return [
                {k: (inner[k](v) if k in inner else v) for k, v in item.items()}
                if isinstance(item, dict)
                else item
                for item in value
            ]
        return value

    def apply(self, data: Any) -> Any:
        """A record's fields (a dict: a snapshot, a response body) as this reader may see them."""
        if self.full or not isinstance(data, dict):
            return data
        out = {}
        for k, v in data.items():
            seen = self._field(k, v)
            if seen is not _DROP:
                out[k] = seen
        return out

    def apply_changes(self, changes: Any) -> Any:
        """An event's `changes` ({field: [before, after]}) as this reader may see them."""
        if self.full or not isinstance(changes, dict):
            return changes
        out = {}
        for k, pair in changes.items():
            if k in self.hidden:
                continue
            if isinstance(pair, list) and len(pair) == 2:
                out[k] = [self._field(k, pair[0]), self._field(k, pair[1])]
            else:
                out[k] = pair
        return out


FULL = View()


def in_jurisdiction(column: Any, principal: Principal) -> Any:
    """SQL: `column` (a division code) lies in this reader's jurisdiction (its subtree)."""
    return column.startswith(divisions.prefix(principal.division), autoescape=True)


class ReadPolicy(Generic[R]):
    """The read decision of one aggregate. Subclasses set `aggregate`, `not_found`, `roles` and
    override `division_of`, and where the aggregate needs it `may_read`, `view`, `event_visible`."""

    aggregate: str
    not_found: type[NotFound]
    roles: frozenset[str] | None = None  # who may read this kind of record (admin always); None: any token
    history_roles: frozenset[str] | None = None  # who may read its history; None: the same as `roles`
    division_attr: str = "division_code"  # the record's jurisdiction column (division_of, narrow)
    # `narrow` filters a list by `getattr(model, division_attr)`; the model class, not the column
    # itself, which would act as a descriptor on the policy instance.
    model: type[Any] | None = None

    def division_of(self, row: R) -> str:
        """The record's jurisdiction: its `division_attr` column."""
        return str(getattr(row, self.division_attr))

    def may_read(self, principal: Principal, row: R) -> bool:
        """This reader may see this record (its role already allowed). Default: jurisdiction, which
        binds an admin too (a national admin's `000000` covers everything)."""
        return principal.covers(self.division_of(row))

    def view(self, principal: Principal | None, row: R) -> View:
        """The fields this reader (None: the public) sees of this record. Default: all."""
        return FULL

    def event_visible(self, principal: Principal, row: R, event: Mapping[str, Any]) -> bool:
        """Whether one history event is shown to this reader at all. Default: yes."""
        return True

    @property
    def decides_on_jurisdiction(self) -> bool:
        """The record decision is its jurisdiction column alone, every field shown (`may_read`,
        `view`, `event_visible` and `division_of` as here): a SQL predicate on `model`'s
        `division_attr` then decides exactly as `may_read` would (the changes feed relies on it)."""
        cls = type(self)
        return self.model is not None and all(
            getattr(cls, m) is getattr(ReadPolicy, m)
            for m in ("may_read", "view", "event_visible", "division_of")
        )

    # ---- one behaviour for every read path --------------------------------------------------

    def ensure_role(self, principal: Principal, *, history: bool = False) -> None:
        allowed = self.history_roles if history and self.history_roles is not None else self.roles
        if allowed is not None and not principal.has(Role.ADMIN, *allowed):
            raise RoleForbidden()

    def check(self, principal: Principal, row: R | None, *, history: bool = False) -> R:
        """The record if this reader may read it (a history: `history=True`), else the refusal. The
        role comes first: a role that never reads this kind of record (or its history) gets 403
        ROLE_FORBIDDEN whatever the record, which tells nothing about it."""
        self.ensure_role(principal, history=history)
        if row is None or not self.may_read(principal, row):
            raise self.not_found()
        return row

    def readable(self, principal: Principal, row: R) -> bool:
        """Whether this reader may read this record (role and record), without refusing: e.g.
        whether a 409 EXISTS may name the existing record (errors.Exists)."""
        allowed = self.roles is None or principal.has(Role.ADMIN, *self.roles)
        return allowed and self.may_read(principal, row)

    def narrow(self, principal: Principal, stmt: Select[Any]) -> Select[Any]:
        """A list query narrowed to the records this reader may read by jurisdiction (its subtree);
        `filter` then applies any finer rule of `may_read`."""
        self.ensure_role(principal)
        if self.model is None:
            return stmt
        return stmt.where(in_jurisdiction(getattr(self.model, self.division_attr), principal))

    def narrow_on(self, principal: Principal, stmt: Select[Any], division: Any) -> Select[Any]:
        """`narrow` for records read with this aggregate that carry its jurisdiction in their own
        `division` column (a challenge or a complaint is read with its project)."""
        self.ensure_role(principal)
        return stmt.where(in_jurisdiction(division, principal))

    def filter(self, principal: Principal, rows: Iterable[R]) -> list[R]:
        """The records of a list this reader may read (the query should already be narrowed)."""
        self.ensure_role(principal)
        return [r for r in rows if self.may_read(principal, r)]

    def history(
        self, principal: Principal, row: R, events: Iterable[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """A history as this reader may see it: its events filtered and each one's data masked."""
        v = self.view(principal, row)
        return [
            {**ev, "data": v.apply(ev.get("data")), "changes": v.apply_changes(ev.get("changes"))}
            for ev in events
            if self.event_visible(principal, row, ev)
        ]
