"""A row of a batch-intake file as a :class:`ReportRequest`, and a refusal's reason in the
words of the file's columns (a reason never quotes a child's name)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from shouhu.adapters.reportfile import COLUMNS, OPTIONAL_COLUMNS
from shouhu.engine.core import ReportRequest
from shouhu.engine.validation import clean_text
from shouhu.errors import InvalidInput
from shouhu.i18n import N_, _

# --- rows to requests -------------------------------------------------------------------------


def _external_id(value: Any) -> str:
    """The row's external id, normalised as the engine stores it (stripped, NFC)."""
    if value is None:
        raise InvalidInput(_("external_id: must not be empty"), field="external_id")
    return clean_text(value, field="external_id", max_length=100)


#: The engine's names for what a file calls by its column.
_COLUMN_OF = {"occurred_at": "reported_at", "id_number": "child_id_number"}


def _column_reason(exc: InvalidInput) -> str:
    """The engine's reason, naming the file's column: in the engine's words where its name
    differs, and in front where the reason does not name it (e.g. a child of 18)."""
    if exc.field is None:
        return exc.message
    column = _COLUMN_OF.get(exc.field, exc.field)
    message = exc.message.replace(exc.field, column, 1)
    if column in (*COLUMNS, *OPTIONAL_COLUMNS) and column not in message:
        return f"{column}: {message}"
    return message


def _json_type(value: Any) -> str:
    """What a JSON value is, in JSON's words."""
    kinds = ((bool, N_("a boolean")), (int | float, N_("a number")), (list, N_("an array")))
    for kind, name in kinds:
        if isinstance(value, kind):
            return _(name)
    return _("an object") if isinstance(value, dict) else type(value).__name__


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _data(value: Any) -> Mapping[str, Any] | None:
    if _blank(value):
        return None
    if isinstance(value, str):  # a CSV cell (or a JSON text in a JSON Lines row)
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError) as exc:
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else _("nested too deeply")
            raise InvalidInput(
                _("data: not valid JSON ({why})").format(why=why), field="data"
            ) from None
    if not isinstance(value, dict):
        raise InvalidInput(_("data: expected a JSON object of names to values"), field="data")
    return value


def _request(values: Mapping[str, Any], external_id: str) -> ReportRequest:
    """A :class:`ReportRequest` from a row's columns (``reported_at`` is the report's time)."""
    for column in (*COLUMNS, "child_id_number"):  # a JSON Lines row may hold any JSON value
        value = values.get(column)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(
                _("{column}: expected text, not {json_type}").format(
                    column=column, json_type=_json_type(value)
                ),
                field=column,
            )
    if _blank(values["reported_at"]):
        raise InvalidInput(_("reported_at: must not be empty"), field="reported_at")
    type_ = values["type"]
    id_number = values.get("child_id_number")
    return ReportRequest(
        type=type_.strip() if isinstance(type_, str) else type_,
        child={
            "name": values["child_name"],
            "birthdate": values["child_birthdate"],
            "id_number": None if _blank(id_number) else id_number,
        },
        location=values["location"],
        reporter={"kind": values["reporter_kind"], "name": values["reporter"]},
        discovered_at=None if _blank(values["discovered_at"]) else values["discovered_at"],
        occurred_at=values["reported_at"],
        data=_data(values.get("data")),
        external_id=external_id,
    )
