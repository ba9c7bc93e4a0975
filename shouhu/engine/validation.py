"""Every input is validated before anything is written: trigger data, report data, the child,
the reporter, the actor and the location. Pydantic does the checking; errors become one clear
:class:`~shouhu.errors.InvalidInput` line naming the field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    create_model,
)

from shouhu.engine import zhinput
from shouhu.engine.timeutil import local_iso, parse_day, parse_instant
from shouhu.errors import InvalidInput
from shouhu.i18n import N_, _
from shouhu.workflows.spec import FieldDef
from shouhu.workflows.vocab import MANDATORY_REPORTER_KINDS, REPORTER_KINDS, ROLES

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(value: Any, *, field: str, max_length: int, multiline: bool = False) -> str:
    """Stripped, NFC-normalised text without control characters (newlines only if multiline)."""
    if not isinstance(value, str):
        raise InvalidInput(_("{field}: expected text").format(field=field), field=field)
    text = unicodedata.normalize("NFC", value).strip()
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: undecodable bytes, or a broken pair
            raise InvalidInput(
                _("{field}: not valid Unicode text").format(field=field), field=field
            ) from None
    if _CONTROL.search(text.replace("\n", "") if multiline else text):
        raise InvalidInput(
            _("{field}: control characters are not allowed").format(field=field), field=field
        )
    if not text:
        raise InvalidInput(_("{field}: must not be empty").format(field=field), field=field)
    if len(text) > max_length:
        raise InvalidInput(
            _("{field}: longer than {max_length} characters").format(
                field=field, max_length=max_length
            ),
            field=field,
        )
    return text


def _bool(value: Any) -> Any:
    if isinstance(value, str):
        low = value.strip().lower()
        if low in {"true", "yes", "1", "y", "是"}:
            return True
        if low in {"false", "no", "0", "n", "否"}:
            return False
    return value


_LIST_SEPARATORS = re.compile(r"[,，、]")


def _split_list(value: Any) -> Any:
    """A list given as text: its parts between commas (``,``, ``，`` or ``、``)."""
    if isinstance(value, str):
        return [part.strip() for part in _LIST_SEPARATORS.split(value) if part.strip()]
    return value


def _clean_field(f: FieldDef, value: Any) -> str:
    """A ``text`` or ``name`` field's value, cleaned (names are one line of at most 100)."""
    if f.kind == "text":
        return clean_text(value, field=f.name, max_length=f.max_length, multiline=True)
    return clean_text(value, field=f.name, max_length=min(f.max_length, 100))


def _field_type(f: FieldDef, tz: str) -> Any:
    def cleaned(v: Any, info: ValidationInfo) -> str:
        return _clean_field(f, v)

    def instant(v: Any, info: ValidationInfo) -> str:
        return local_iso(parse_instant(v, tz, field=f.name), tz)  # any other type: its forms

    def day(v: Any, info: ValidationInfo) -> str:
        return parse_day(v, field=f.name).isoformat()

    def one(v: Any, info: ValidationInfo) -> str:
        return zhinput.choice(v, f)

    def many(v: Any, info: ValidationInfo) -> list[str]:
        values = _split_list(v)
        if not isinstance(values, list | tuple):
            raise InvalidInput(
                _("{field}: expected one or more of {accepted}").format(
                    field=f.name, accepted=zhinput.choices(f.choices).accepted()
                ),
                field=f.name,
            )
        if not values:
            raise InvalidInput(
                _("{field}: give at least one of {accepted}").format(
                    field=f.name, accepted=zhinput.choices(f.choices).accepted()
                ),
                field=f.name,
            )
        return [zhinput.choice(x, f) for x in values]

    if f.kind in ("text", "name"):
        return Annotated[str, BeforeValidator(cleaned)]
    if f.kind == "datetime":
        return Annotated[str, BeforeValidator(instant)]
    if f.kind == "date":
        return Annotated[str, BeforeValidator(day)]
    if f.kind == "bool":
        return Annotated[bool, BeforeValidator(_bool)]
    if f.kind == "choice":
        return Annotated[str, BeforeValidator(one)]
    return Annotated[list[str], BeforeValidator(many)]


@lru_cache(maxsize=1024)
def _model(key: str, fields: tuple[FieldDef, ...], tz: str) -> type[BaseModel]:
    spec: dict[str, Any] = {}
    for f in fields:
        typ = _field_type(f, tz)
        spec[f.name] = (typ, ...) if f.required else (typ | None, None)
    model: type[BaseModel] = create_model(
        f"Data_{key}".replace("@", "_").replace(".", "_"),
        __config__=ConfigDict(extra="forbid", strict=False),
        **spec,
    )
    return model


_MODELS: dict[tuple[str, int, str], tuple[Sequence[FieldDef], type[BaseModel]]] = {}


def validate_data(
    what: str, fields: Sequence[FieldDef], data: Mapping[str, Any] | BaseModel | None, tz: str
) -> dict[str, Any]:
    """The data checked against ``fields``; values normalised to JSON (ISO dates, lists)."""
    if data is None:
        data = {}
    if isinstance(data, BaseModel):
        data = data.model_dump(exclude_none=True)
    if not isinstance(data, Mapping):
        raise InvalidInput(
            _("{what}: data must be a mapping of names to values").format(what=what),
            field="data",
        )
    known = {f.name for f in fields}
    unknown = [str(k) for k in data if k not in known]
    if unknown:
        takes = _(", ").join(sorted(known)) or _("no data")
        hint = zhinput.vocabulary((k, ()) for k in sorted(known)).hint(unknown[0])
        raise InvalidInput(
            _("{what}: unknown data key {key}{hint} (takes: {takes})").format(
                what=what, key=repr(unknown[0][:60]), hint=hint, takes=takes
            ),
            field=unknown[0][:60],
        )
    model_key = (what, id(fields), tz)
    cached = _MODELS.get(model_key)
    if cached is None or cached[0] is not fields:  # keyed by identity: hashing the field
        if len(_MODELS) > 1024:  # defs on every call costs more than the check itself
            _MODELS.clear()
        cached = _MODELS[model_key] = (fields, _model(what, tuple(fields), tz))
    quick = _quick(fields, data)
    if quick is not None:
        return quick
    model = cached[1]
    try:
        checked = model.model_validate(dict(data))
    except InvalidInput:
        raise
    except ValidationError as exc:
        raise _one_line(what, exc) from None
    # The fields hold plain JSON values already (text, bool, lists of choices): read them
    # straight off the model rather than through model_dump's serialiser.
    out: dict[str, Any] = {}
    for key, value in checked.__dict__.items():
        if value is None:
            continue
        # a list of choices is a set, in given order
        out[key] = list(dict.fromkeys(value)) if isinstance(value, list) else value
    return out


_QUICK_KINDS = frozenset({"text", "name", "choice", "bool"})


def _quick(fields: Sequence[FieldDef], data: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the model makes of ``data`` when every field is text, a name, a choice or a bool
    and every value is already of its exact type and valid; None to let the model decide
    (anything else, and every error, so messages come from one place)."""
    out: dict[str, Any] = {}
    for f in fields:  # the model's field order
        value = data.get(f.name)
        if f.kind not in _QUICK_KINDS:
            return None
        if value is None:
            if f.required:
                return None
            continue
        if f.kind == "bool":
            if type(value) is not bool:
                return None
        elif type(value) is not str:
            return None
        elif f.kind == "choice":
            if value not in f.choices:
                return None
        else:
            try:
                value = _clean_field(f, value)
            except InvalidInput:
                return None
        out[f.name] = value
    return out


def _label(text: str) -> str:
    """A key as a message may show it: at most 60 characters, quoted and escaped unless it is
    plain printable text (a key given by a caller may hold a newline or a control character)."""
    cut = text[:60]
    return cut if cut.isprintable() and cut.strip() == cut and cut else repr(cut)


#: Pydantic's error types, as our sentences: ``{field}`` the field's name (the choice
#: fields, dates and texts raise our own messages before pydantic words one).
_ERRORS: dict[str, str] = {
    "missing": N_("{field} is required"),
    "extra_forbidden": N_("{field} is not taken here"),
    "bool_type": N_("{field}: expected yes or no (true/false, 是/否)"),
    "bool_parsing": N_("{field}: expected yes or no (true/false, 是/否)"),
    "string_type": N_("{field}: expected text"),
    "string_too_short": N_("{field}: must not be empty"),
    "string_too_long": N_("{field}: too long"),
    "int_type": N_("{field}: expected a whole number"),
    "int_parsing": N_("{field}: expected a whole number"),
    "float_type": N_("{field}: expected a number"),
    "float_parsing": N_("{field}: expected a number"),
    "list_type": N_("{field}: expected a list of values"),
    "too_short": N_("{field}: give at least one value"),
    "too_long": N_("{field}: too many values"),
    "literal_error": N_("{field}: expected one of {expected}"),
    "enum": N_("{field}: expected one of {expected}"),
    "date_type": N_("{field}: expected a date"),
    "datetime_type": N_("{field}: expected a date-time"),
    "dict_type": N_("{field}: expected a mapping of names to values"),
    "model_type": N_("{field}: expected a mapping of names to values"),
}


def _one_line(what: str, exc: ValidationError) -> InvalidInput:
    """The first error pydantic found, in our words and the user's language."""
    err = exc.errors(include_url=False)[0]
    loc = _label(".".join(str(p) for p in err.get("loc", ())) or "data")
    ctx = err.get("ctx") or {}
    ctx_err = ctx.get("error")
    if isinstance(ctx_err, InvalidInput):
        return InvalidInput(f"{what}: {ctx_err.message}", field=ctx_err.field)
    words = _ERRORS.get(err.get("type", ""), N_("{field} is not valid"))
    expected = str(ctx.get("expected", "")).replace("'", "")
    return InvalidInput(f"{what}: " + _(words).format(field=loc, expected=expected), field=loc)


# --- fixed inputs ---------------------------------------------------------------------------


class ActorIn(BaseModel):
    """Who acts: a name and one of the roles."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    role: str


class ChildIn(BaseModel):
    """The child: name, birthdate, optional 18-digit resident id number (GB 11643)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    birthdate: date | str
    id_number: str | None = None


class ReporterIn(BaseModel):
    """Who reports: a kind (mandatory reporters first) and a name."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str
    name: str


def actor(value: Mapping[str, Any] | ActorIn | Any, roles: Mapping[str, str] = ROLES) -> ActorIn:
    """A checked actor; the role must be one of ``roles`` (an engine's: its workflow set's)."""
    name, role = actor_parts(value, roles)
    return ActorIn(name=name, role=role)


def actor_parts(
    value: Mapping[str, Any] | ActorIn | Any, roles: Mapping[str, str] = ROLES
) -> tuple[str, str]:
    """(name, role) of a checked actor: what :func:`actor` checks and gives, without building
    the model. A plain dict of exactly ``name`` and ``role``, both text, is read directly (what
    the model would give: :func:`_plain`'s test, spelt out, as it runs on every transition)."""
    if not (
        type(value) is dict
        and len(value) == 2
        and type(raw_name := value.get("name")) is str
        and type(raw_role := value.get("role")) is str
    ):
        a = _coerce(ActorIn, value, "actor")
        raw_name, raw_role = a.name, a.role
    name = clean_text(raw_name, field="actor", max_length=100)
    role = raw_role.strip() if isinstance(raw_role, str) else raw_role
    if role not in roles:  # a Chinese name (公安, 乡镇 …), else refused naming the roles
        role = zhinput.role(role, roles)
    return name, role


def _plain(value: Any, required: frozenset[str], optional: frozenset[str]) -> bool:
    """True for a plain dict of text values with exactly the model's keys: the fields are read
    directly (what the model would give), skipping pydantic on the batch-import hot path."""
    if type(value) is not dict:
        return False
    keys = value.keys()
    if not required <= keys or not keys <= required | optional:
        return False
    return all(type(x) is str or (x is None and k in optional) for k, x in value.items())


_REPORTER_KEYS = frozenset({"kind", "name"})
_CHILD_KEYS = frozenset({"name", "birthdate"})
_CHILD_OPTIONAL = frozenset({"id_number"})


def reporter(value: Mapping[str, Any] | ReporterIn | Any) -> tuple[str, str, bool]:
    """(kind, name, mandatory) of a checked reporter."""
    if isinstance(value, dict) and _plain(value, _REPORTER_KEYS, frozenset()):
        kind, raw_name = value["kind"], value["name"]
    else:
        r = _coerce(ReporterIn, value, "reporter")
        kind, raw_name = r.kind, r.name
    kind = kind.strip()
    if kind not in REPORTER_KINDS:  # a Chinese name (学校, 幼儿园 …), else refused
        kind = zhinput.reporter_kind(kind)
    name = clean_text(raw_name, field="reporter", max_length=100)
    return kind, name, kind in MANDATORY_REPORTER_KINDS


def child(value: Mapping[str, Any] | ChildIn | Any) -> tuple[str, date, str | None]:
    """(name, birthdate, id number) of a checked child; the id number's check digit and its
    embedded birth date must agree with the birthdate."""
    if isinstance(value, dict) and _plain(value, _CHILD_KEYS, _CHILD_OPTIONAL):
        raw_name, raw_birth, raw_id = value["name"], value["birthdate"], value.get("id_number")
    else:
        c = _coerce(ChildIn, value, "child")
        raw_name, raw_birth, raw_id = c.name, c.birthdate, c.id_number
    name = clean_text(raw_name, field="child_name", max_length=50)
    birth = parse_day(raw_birth, field="child_birthdate")
    idn = None
    if raw_id is not None and str(raw_id).strip():
        idn = check_id_number(str(raw_id), birth)
    return name, birth, idn


_ID = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def check_id_number(text: str, birthdate: date) -> str:
    """An 18-character resident id number, validated against its check digit and birthdate."""
    idn = unicodedata.normalize("NFKC", text).strip().upper()  # full-width digits as ASCII
    if not _ID.match(idn) or not idn.isascii():
        raise InvalidInput(
            _("id_number: must be 18 characters: 17 digits and a digit or X"), field="id_number"
        )
    if id_check_digit(idn[:17]) != idn[17]:
        raise InvalidInput(
            _("id_number: the check digit is wrong (GB 11643, ISO 7064 MOD 11-2)"),
            field="id_number",
        )
    try:
        embedded = date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    except ValueError:
        raise InvalidInput(
            _("id_number: its embedded birth date is not a date"), field="id_number"
        ) from None
    if embedded != birthdate:
        raise InvalidInput(
            _("id_number: its embedded birth date does not match the birthdate"), field="id_number"
        )
    return idn


M = TypeVar("M", bound=BaseModel)


def _coerce(model: type[M], value: Any, what: str) -> M:
    if isinstance(value, model):
        return value
    if not isinstance(value, Mapping):
        raise InvalidInput(_("{what}: expected a mapping").format(what=what), field=what)
    try:
        return model.model_validate(dict(value))
    except ValidationError as exc:
        raise _one_line(what, exc) from None
