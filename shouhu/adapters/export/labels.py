"""The words of the case export's template (``shouhu/templates/export.html``), marked for the
catalogs: the template says ``{{ _("…") }}`` and the message extraction reads Python, so each
of its message ids is listed here too (a test holds the two lists equal)."""

from __future__ import annotations

from typing import Final

from shouhu.i18n import N_

#: Every ``_("…")`` of ``export.html``, in the order it appears there.
TEMPLATE_MESSAGES: Final[tuple[str, ...]] = (
    N_("Case file"),
    N_("Generated"),
    N_("zone"),
    N_("identity included"),
    N_("identity withheld"),
    N_("Case"),
    N_("Type"),
    N_("workflow version"),
    N_("State"),
    N_("version"),
    N_("Outcome"),
    N_("open"),
    N_("closed"),
    N_("Child"),
    N_("Birthdate"),
    N_("ID number"),
    N_("name, birthdate and id number: export with --include-identity"),
    N_("Left-behind (under 16)"),
    N_("yes"),
    N_("no"),
    N_("aged {age} at discovery"),
    N_("Location"),
    N_("Reporter"),
    N_("mandatory reporter (强制报告责任主体)"),
    N_("not a mandatory reporter"),
    N_("Discovered"),
    N_("Reported"),
    N_("LATE"),
    N_("on time"),
    N_("reported {delay} after discovery"),
    N_("no bound applies"),
    N_("State diagram"),
    N_("states the case went through"),
    N_("transitions taken"),
    N_(
        "the thickest border: the current state. Measures and recorded facts stay in "
        "their state and are not drawn."
    ),
    N_("Path"),
    N_("Timeline"),
    N_("1 event"),
    N_("{n} events"),
    N_("Occurred / recorded"),
    N_("Trigger, from → to, citation"),
    N_("Actor, role"),
    N_("Data"),
    N_("Effects"),
    N_("Hash"),
    N_("rec."),
    N_("refused by the definition"),
    N_("Deadline compliance"),
    N_("Deadline"),
    N_("Due"),
    N_("Status"),
    N_("Met at"),
    N_("Lateness"),
    N_("Events"),
    N_("No deadline was started in this case."),
    N_("Verification"),
    N_("chain verified"),
    N_("head hash"),
    N_("BROKEN"),
    N_("at seq {seq}"),
    N_("head hash on the case row"),
    N_("replay matches the record"),
    N_("replay does not match the record"),
    N_("{illegal} illegal event(s), {differences} difference(s)"),
    N_("event {seq}"),
    N_("How to re-verify."),
    N_(
        "Export the case as JSON ({command}). For each event in seq order, take the JSON "
        "object of its hashed fields ({fields}; occurred_at and recorded_at in UTC as "
        "YYYY-MM-DDTHH:MM:SS.ffffffZ), serialise it canonically (keys sorted, separators "
        "(',', ':'), UTF-8, non-ASCII kept as is) and compute its SHA-256: the hex digest"
        " must equal the event's hash. Event 1's prev_hash is 64 zeros ({genesis}); each "
        "later prev_hash is the previous event's hash, and the last hash is the case's "
        "head hash. Event 1 holds the child's identity, so only an export with identity "
        "re-verifies the whole chain. Or run shouhu audit verify and shouhu audit replay "
        "CASE. See docs/audit.md (canonical JSON and the hash inputs)."
    ),
    N_("times are local ({zone}) with their offset."),
)
