"""A case for the file: one self-contained printable HTML page, or JSON to re-verify the chain.

The page needs no network at all: inline CSS (with print rules for A4), the workflow's state
diagram drawn here as inline SVG with the path the case took highlighted, the timeline, the
deadlines' compliance, and what verification and replay found. The page is drawn by Jinja2
templates (``shouhu/templates``) with autoescaping: every value shown is escaped by Jinja2.

The JSON export carries every hashed field of every event exactly as hashed, and the algorithm,
so a third party can recompute the chain with ``hashlib`` and ``json`` alone. Event 1 holds the
child's identity (covered by its hash): without ``identity`` it is withheld there, and the
export says the whole chain cannot be re-verified from it (events 2… still verify from event 1's
hash).

Identity (the child's name, birthdate and id number) appears only when ``identity=True``;
otherwise it is replaced by ``withheld`` wherever it would appear, including free text.
"""

from shouhu.adapters.export.diagram_svg import state_diagram_svg
from shouhu.adapters.export.html_export import export_html
from shouhu.adapters.export.json_export import export_json

__all__ = ["export_html", "export_json", "state_diagram_svg"]
