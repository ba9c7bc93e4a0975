"""``shouhu init`` (the first admin) and ``shouhu operator …`` (the registry of who may act).

Each command that makes a key writes its credential file (0600; never over an existing file
without ``--force``) and prints its path: hand it to the operator, who acts with ``--as PATH``.
"""

# No ``from __future__ import annotations``: typer reads every command's annotations on each
# start (even for ``--help``), and objects cost it less than strings to compile and eval.

import sys
from typing import Annotated, Any

import typer

from shouhu.cli.common import JsonOpt, ShouhuCommand, ShouhuGroup, _engine, examples
from shouhu.cli.output import _paged, _print_json
from shouhu.cli.who import _credential
from shouhu.i18n import N_, _

operator_app = typer.Typer(
    cls=ShouhuGroup,
    help=(
        "The operators who may act: add, list, show, set-scope, disable, rotate-key, set-password."
    ),
    no_args_is_help=True,
)

CredentialOutOpt = Annotated[
    str | None,
    typer.Option(
        "--credential-out",
        help="Where to write the credential (default: the user's config directory).",
        metavar="PATH",
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite an existing credential file.")]
BodyOpt = Annotated[str, typer.Option("--body", help="The body they act for, e.g. 青山镇派出所.")]
ProtectOpt = Annotated[
    bool,
    typer.Option("--protect", help="Protect the key with a passphrase (asked for, twice)."),
]


def _write(credential: Any, path: str | None, force: bool, protect: bool) -> str:
    from shouhu.adapters.credentials import save

    passphrase = None
    if protect:
        passphrase = typer.prompt(_("passphrase"), hide_input=True, confirmation_prompt=True)
    return str(save(credential, path, passphrase=passphrase, force=force))


def _check_out(path: str | None, force: bool) -> None:
    """Refuse an existing --credential-out before anything is written to the registry."""
    from pathlib import Path

    from shouhu.errors import InvalidInput

    if path is not None and Path(path).expanduser().exists() and not force:
        raise InvalidInput(
            _("--credential-out: {path} exists; it is not overwritten without --force").format(
                path=path
            ),
            field="credential_out",
        )


def init(
    admin: Annotated[str, typer.Option("--admin", help="The first admin's name.")],
    body: BodyOpt = "",
    scope: Annotated[
        str,
        typer.Option("--scope", help="The admin's scope: 'COUNTY', …, or * (everywhere)."),
    ] = "*",
    credential_out: CredentialOutOpt = None,
    force: ForceOpt = False,
    protect: ProtectOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Make the first admin of a database with no operators and write their credential.

    Refused (exit 3) once any operator exists. From then on every act needs a credential.
    """
    from shouhu.engine.operators import Scope
    from shouhu.engine.validation import clean_text

    clean_text(admin, field="name", max_length=100)  # bad input before a database is made
    Scope.parse(scope)
    _check_out(credential_out, force)
    with _engine(write=True) as engine:
        op, credential = engine.init_admin(admin, body=body, scope=scope)
        path = _write(credential, credential_out, force, protect)
    _made(op, path, as_json)


@operator_app.command(
    "add",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu operator add 李警官 --role police --scope '青山镇, 平安县' "
        "--body 青山镇派出所 --as admin.json"
    ),
)
def operator_add(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    role: Annotated[str, typer.Option("--role", help="police, township, civil_affairs, …")],
    scope: Annotated[
        str,
        typer.Option(
            "--scope", help="'TOWNSHIP, COUNTY', 'VILLAGE, TOWNSHIP, COUNTY' or 'COUNTY'."
        ),
    ],
    body: BodyOpt = "",
    credential_out: CredentialOutOpt = None,
    force: ForceOpt = False,
    protect: ProtectOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Add an operator (an admin, within the admin's own scope) and write their credential."""
    admin = _credential()
    _check_out(credential_out, force)
    with _engine(write=False) as engine:
        op, credential = engine.add_operator(admin, name, role=role, scope=scope, body=body)
        path = _write(credential, credential_out, force, protect)
    _made(op, path, as_json)


@operator_app.command(
    "list",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu operator list --as admin.json", "shouhu operator list --json --as admin.json"
    ),
)
def operator_list(as_json: JsonOpt = False) -> None:
    """Every operator: id, name, body, role, scope, active."""
    who = _credential()
    with _engine(write=False) as engine:
        engine.authenticate(who)
        ops = engine.operators()
    if as_json:
        _print_json([o.to_dict() for o in ops])
        return
    from rich.table import Table

    table = Table(title=_("Operators ({count})").format(count=len(ops)))
    for col in (N_("id"), N_("name"), N_("body"), N_("role"), N_("scope"), N_("active")):
        table.add_column(_(col))
    for o in ops:
        table.add_row(o.id, o.name, o.body, o.role, str(o.scope), _("yes") if o.active else _("no"))
    with _paged() as console:
        console.print(table)


@operator_app.command(
    "show",
    cls=ShouhuCommand,
    epilog=examples("shouhu operator show 01M95ZAK6HKXWS1TN2N5X9QJAF --as admin.json"),
)
def operator_show(
    operator_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOpt = False
) -> None:
    """One operator, with their keys and when each was valid."""
    who = _credential()
    with _engine(write=False) as engine:
        engine.authenticate(who)
        op = engine.operator(operator_id)
    out = op.to_dict()
    if as_json:
        _print_json(out)
        return
    for k in ("id", "name", "body", "role", "scope", "active", "added_at", "disabled_at"):
        sys.stdout.write(f"{k}: {out[k] if out[k] is not None else '-'}\n")
    for k in out["keys"]:
        sys.stdout.write(
            _("key {key} valid {start} – {end}").format(
                key=k["public_key"], start=k["valid_from"], end=k["valid_to"] or _("now")
            )
            + "\n"
        )


@operator_app.command(
    "set-scope",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu operator set-scope 01M95ZAK6HKXWS1TN2N5X9QJAF --scope 平安县 --as admin.json"
    ),
)
def operator_set_scope(
    operator_id: Annotated[str, typer.Argument(metavar="ID")],
    scope: Annotated[str, typer.Option("--scope", help="The new scope.")],
) -> None:
    """Change an operator's scope (an admin, within the admin's own)."""
    admin = _credential()
    with _engine(write=False) as engine:
        op = engine.change_scope(admin, operator_id, scope)
    sys.stdout.write(
        _("{id}: {name} now acts in {scope}").format(id=op.id, name=op.name, scope=op.scope) + "\n"
    )


@operator_app.command(
    "disable",
    cls=ShouhuCommand,
    epilog=examples("shouhu operator disable 01M95ZAK6HKXWS1TN2N5X9QJAF --as admin.json"),
)
def operator_disable(operator_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """From now on the operator can do nothing; their past acts stay valid."""
    admin = _credential()
    with _engine(write=False) as engine:
        op = engine.disable_operator(admin, operator_id)
    sys.stdout.write(_("{id}: {name} is disabled").format(id=op.id, name=op.name) + "\n")


@operator_app.command(
    "rotate-key",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu operator rotate-key 01M95ZAK6HKXWS1TN2N5X9QJAF --credential-out police.json "
        "--force --as police.json"
    ),
)
def operator_rotate_key(
    operator_id: Annotated[str, typer.Argument(metavar="ID")],
    credential_out: CredentialOutOpt = None,
    force: ForceOpt = False,
    protect: ProtectOpt = False,
) -> None:
    """A new key for an operator (an admin, or the operator themselves); the old credential
    is refused from now on. Writes the new credential."""
    who = _credential()
    _check_out(credential_out, force)
    with _engine(write=False) as engine:
        credential = engine.rotate_key(who, operator_id)
        path = _write(credential, credential_out, force, protect)
    sys.stdout.write(
        _("{id}: new key; credential written to {path}").format(
            id=credential.operator_id, path=path
        )
        + "\n"
    )


@operator_app.command(
    "set-password",
    cls=ShouhuCommand,
    epilog=examples(
        "shouhu operator set-password --as police.json",
        "shouhu operator set-password --password-stdin --as police.json",
    ),
)
def operator_set_password(
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from stdin's first line."),
    ] = False,
) -> None:
    """Set the password you log in to `shouhu serve` with. Your key is stored wrapped under it
    (Argon2id, AES-256-GCM), never in usable form: the database alone cannot sign as you."""
    from shouhu.adapters.weblogins import check_password, set_password

    who = _credential()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    check_password(password)
    with _engine(write=False) as engine:
        set_password(engine, who, password)
    sys.stdout.write(
        _("{id}: password set; log in to shouhu serve with it").format(id=who.operator_id) + "\n"
    )


def _made(op: Any, path: str, as_json: bool) -> None:
    if as_json:
        _print_json({**op.to_dict(), "credential": path})
        return
    sys.stdout.write(
        _("{id}: {name} ({role}, scope {scope}); credential written to {path}").format(
            id=op.id, name=op.name, role=op.role, scope=op.scope, path=path
        )
        + "\n"
    )
