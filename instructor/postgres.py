"""A PostgreSQL server for the gradebook, from Debian's ``postgresql`` package (``make system-deps``).

    python -m instructor.postgres start DIR     # prints the COURSE_DB_URL to use
    python -m instructor.postgres stop DIR

SQLite, the default gradebook, lets one writer in at a time; parallel grading on many machines wants a server.
:func:`start` makes a database cluster in ``DIR`` (owned by the ``postgres`` user when run as root, as PostgreSQL
requires), starts it listening on a Unix socket in ``DIR`` only (no TCP port), creates the database ``gradebook``
and returns its URL. With ``COURSE_DB_URL`` set to it, ``nbgrader_config.py`` points nbgrader at it. For graders on
other machines, run PostgreSQL as a service instead and give them ``postgresql://user:password@host/gradebook``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

DATABASE = "gradebook"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's programs are not installed."""


def program(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or ([shutil.which(name)] if shutil.which(name)
                                                                       else [])
    if not found:
        raise PostgresUnavailable(f"PostgreSQL's {name} is not installed: `sudo apt-get install postgresql` "
                                  "(or `make system-deps`)")
    return found[-1]


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str]) -> subprocess.CompletedProcess:
    """Run a PostgreSQL program as the cluster's owner; its own message on failure.

    The locale is pinned to ``C.UTF-8``, which every Debian has: initdb refuses to run when ``LANG`` names a locale
    the machine has not generated (``en_US.UTF-8`` on a bare image, say).
    """
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    done = subprocess.run(_as_owner(command), capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed (exit {done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()}")
    return done


def url(folder: Path) -> str:
    return f"postgresql+psycopg2://postgres@/{DATABASE}?host={folder.resolve()}"


def start(folder: Path) -> str:
    """Create (first time) and start a server in ``folder``; the URL of its gradebook database."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data = folder / "data"
    if not data.exists():
        _run([program("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
              "--locale=C.UTF-8"])
    _run([program("pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
          "-o", f"-k {folder} -c listen_addresses=''", "start"])
    exists = _run([program("psql"), "-h", str(folder), "-U", "postgres", "-tAc",
                   f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"])
    if exists.stdout.strip() != "1":
        _run([program("createdb"), "-h", str(folder), "-U", "postgres", DATABASE])
    return url(folder)


def stop(folder: Path) -> None:
    _run([program("pg_ctl"), "-D", str(folder.resolve() / "data"), "-m", "fast", "-w", "stop"])


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2 or args[0] not in {"start", "stop"}:
        raise SystemExit("usage: python -m instructor.postgres start|stop DIR")
    if args[0] == "start":
        print(start(Path(args[1])))
    else:
        stop(Path(args[1]))


if __name__ == "__main__":
    main()
