"""The demo's operators: an admin of the county's civil affairs, then — the first time each is
needed — a police station and a township government per township, a village committee per
village, county civil affairs, the county court and the scheduler, each with its credential
(written 0600 to the demo's credentials directory, so the CLI can act as them afterwards).

A story names its actors as ``{"name": …, "role": …}``; :meth:`Cast.credential` gives the
credential of the operator of that role whose scope holds the case's place (属地原则)."""

from __future__ import annotations

from pathlib import Path

from shouhu.adapters.credentials import save
from shouhu.engine import core
from shouhu.engine.model import Location
from shouhu.engine.records import parse_location
from shouhu.engine.signing import Credential

#: Roles that act in a whole county; the others in their township (a village committee: its
#: village).
COUNTY_ROLES = frozenset({"civil_affairs", "court", "system", "auditor"})
ADMIN = "系统管理员"


class Cast:
    """Makes and remembers the demo's operators and their credentials."""

    def __init__(self, engine: core.Engine, county: str, folder: Path) -> None:
        self.engine = engine
        self.folder = folder
        self.made: dict[tuple[str, str], Credential] = {}
        _, self.admin = engine.init_admin(ADMIN, body="县民政局", scope=county)
        self.paths: dict[str, Path] = {"admin": self._save("admin", self.admin)}
        self.county = county

    def credential(self, actor: dict[str, str], where: str | Location) -> Credential:
        """The credential of ``actor``'s role for a case at ``where``."""
        role = actor["role"]
        loc = parse_location(where)
        if role in COUNTY_ROLES:
            scope = self.county
        elif role == "village_committee":
            scope = f"{loc.village}, {loc.township}, {self.county}"
        else:
            scope = f"{loc.township}, {self.county}"
        key = (role, scope)
        if key not in self.made:
            person = actor["name"].split()[-1]
            body = {
                "police": f"{loc.township}派出所",
                "township": f"{loc.township}人民政府",
                "village_committee": f"{loc.village}委会",
                "civil_affairs": "县民政局",
                "court": "县人民法院",
                "auditor": "县人民检察院",
            }.get(role, "")
            _, cred = self.engine.add_operator(
                self.admin, person, role=role, scope=scope, body=body
            )
            self.made[key] = cred
            same = sum(1 for k in self.made if k[0] == role)
            label = role if same == 1 else f"{role}-{same}"
            self.paths[label] = self._save(label, cred)
        return self.made[key]

    def system(self) -> Credential:
        place = Location("", "", self.county)
        return self.credential({"name": "守护 调度程序", "role": "system"}, place)

    def _save(self, label: str, cred: Credential) -> Path:
        return save(cred, self.folder / f"{label}.json", force=True)


def credentials_folder(db_url: str) -> Path:
    """Beside a SQLite demo file ``demo.db``: ``demo-credentials/``; else in the current
    directory."""
    if db_url.startswith("sqlite:///"):
        path = Path(db_url.removeprefix("sqlite:///"))
        return path.with_name(f"{path.stem}-credentials")
    return Path("demo-credentials")


def forget(folder: Path) -> None:
    """Remove the credentials an earlier demo wrote (the demo's own files only)."""
    if not folder.is_dir():
        return
    for p in folder.glob("*.json"):
        p.unlink()
