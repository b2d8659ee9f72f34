"""The ``course`` command: doctor, engine, images, reset, progress, classroom.

Expected failures print one sentence with the fix and exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import cleanup, doctor, progress
from .classroom import learner_engine
from .engines import daemon, images, releases
from .engines.client import address, answers, client
from .errors import CourseError
from .i18n import LANGUAGES, N_, _, language

# The first line of the docstring, the command's description in its --help
DESCRIPTION = N_("The ``course`` command: doctor, engine, images, reset, progress, classroom.")


def _doctor(_: argparse.Namespace) -> int:
    report = doctor.run()
    print(report)
    return 0 if report.ok else 1


def _engine(args: argparse.Namespace) -> int:
    if args.action == "start":
        print(
            daemon.start(
                args.engine, archive=args.archive, sha256=args.sha256, firewall=args.firewall
            ).message
        )
    elif args.action == "stop":
        print(daemon.stop())
    elif args.action == "owned":  # for scripts: exit 0 only when the running engine is the course's
        return 0 if daemon.started_engine() is not None and answers() else 1
    else:
        version = client().version()["Version"]
        started = daemon.started()
        if started:
            said = _("Docker {version} answers at {address} (the course's {engine} engine).")
        else:
            said = _("Docker {version} answers at {address} (not started by the course).")
        print(
            said.format(
                version=version, address=address(), engine=daemon.describe(started) if started else ""
            )
        )
    return 0


def _images(args: argparse.Namespace) -> int:
    if args.action in ("export", "import"):
        if not args.file:
            raise CourseError(
                _("No file named."),
                _("Name one: course images {action} course-images.tar").format(action=args.action),
            )
        from .engines import node_image

        if args.action == "export":
            print(node_image.export_images(args.file))
        else:
            print(node_image.import_images(args.file))
        return 0
    image = images.pull_lab_image() if args.action == "pull" else images.build_lab_image(force=args.force)
    print(
        _("{image} ready ({size} MB).").format(
            image=images.LAB_IMAGE, size=f"{image.attrs['Size'] / 1e6:.1f}"
        )
    )
    return 0


def _progress(args: argparse.Namespace) -> int:
    if args.export:
        written = progress.export(args.export)
        print(_("Progress written to {path}: hand that file to your instructor.").format(path=written))
    else:
        print(progress.report())
    return 0


def _reset(_: argparse.Namespace) -> int:
    removed = cleanup.reset()
    print(removed)
    return 1 if removed.left else 0


PASSWORD_SETTING = "COURSE_CLASSROOM_PASSWORD"


def workshop_password(path: str | None = None) -> str:
    """The workshop password, never from the command line (where ps, make and the shell's history show it):
    from ``COURSE_CLASSROOM_PASSWORD``, else the file ``path``, else typed at a prompt that does not echo."""
    if os.environ.get(PASSWORD_SETTING):
        return os.environ[PASSWORD_SETTING]
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise CourseError(
                _("Cannot read the password file {path} ({reason}).").format(path=path, reason=exc.strerror),
                _("Name a file you can read."),
            ) from exc
    if not sys.stdin.isatty():
        raise CourseError(
            _("The hub needs a workshop password, and there is no terminal to type it in."),
            _("Set {setting}, or name a file with --password-file.").format(setting=PASSWORD_SETTING),
        )
    import getpass

    typed = getpass.getpass(_("Workshop password (8 characters or more): "))
    if getpass.getpass(_("Again: ")) != typed:
        raise CourseError(
            _("The two passwords differ."), _("Run the command again and type the same one twice.")
        )
    return typed


def _classroom(args: argparse.Namespace) -> int:
    if args.action == "list":
        print("\n".join(learner_engine.learners()) or _("No learner has an engine."))
        return 0
    if args.action == "progress":
        print(learner_engine.class_progress(args.learners or learner_engine.learners()))
        return 0
    if args.action == "image":
        from .classroom.learner_image import build_learner_image

        built = build_learner_image()
        print(_("{image} is ready: the hub starts every learner's server from it.").format(image=built))
        return 0
    if args.action == "hub":
        from .classroom import hub  # needs the classroom extra (JupyterHub, DockerSpawner)

        password = None if args.own_passwords else workshop_password(args.password_file)
        options = {"own_passwords": args.own_passwords, "language": args.language}
        return hub.run(args.learners, password, args.ip, args.port, **options)
    if not args.learners:
        raise CourseError(
            _("No learner named."),
            _("Name them: course classroom {action} ann bob").format(action=args.action),
        )
    for name in args.learners:
        learner = learner_engine.LearnerEngine(name)
        if args.action == "start":
            learner.start()
            learner.load_images()
            print(
                _("{learner}'s engine answers; notebook servers join it with {options}").format(
                    learner=name, options=learner.server_options()
                )
            )
        elif args.action == "reset":
            removed = learner.reset()
            print(_("{learner}'s engine: {removed} Notebooks kept.").format(learner=name, removed=removed))
        else:
            learner.remove()
            print(_("Removed {learner}'s engine and volumes, notebooks included.").format(learner=name))
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser (kept separate so tests and docs can read it)."""
    top = argparse.ArgumentParser(prog="course", description=_(DESCRIPTION), allow_abbrev=False)
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help=_("check everything the course needs")).set_defaults(run=_doctor)
    eng = sub.add_parser("engine", help=_("start, stop or check the Docker engine"))
    eng.add_argument("action", choices=["start", "stop", "status", "owned"])
    eng.add_argument(
        "--engine",
        choices=releases.NAMES,
        help=_(
            "which engine to start where none runs (default: {default}, Docker 28; "
            "29 is Docker {version} from Docker's static archive)"
        ).format(default=releases.DEFAULT, version=releases.STATIC_VERSION),
    )
    eng.add_argument(
        "--archive",
        metavar="FILE_OR_URL",
        help=_(
            "Docker's static archive for --engine 29 (default: ${setting}, else Docker's download)"
        ).format(setting=releases.ARCHIVE_SETTING),
    )
    eng.add_argument("--sha256", help=_("the archive's checksum (default: a SHA256SUMS file beside it)"))
    eng.add_argument(
        "--firewall",
        choices=releases.FIREWALLS,
        default="iptables",
        help=_("the engine's firewall backend (nftables: Docker 29 only, experimental, no swarm mode)"),
    )
    eng.set_defaults(run=_engine)
    img = sub.add_parser(
        "images",
        help=_(
            "build the lab image locally (or pull it); export or import the lab and node images as a file"
        ),
    )
    img.add_argument("action", choices=["build", "pull", "export", "import"])
    img.add_argument("file", nargs="?", help=_("the image file, for export and import"))
    img.add_argument("--force", action="store_true", help=_("rebuild even if cached"))
    img.set_defaults(run=_images)
    sub.add_parser("reset", help=_("remove every course container and network")).set_defaults(run=_reset)
    room = sub.add_parser(
        "classroom", help=_("an engine of their own for every learner (instructors)"), allow_abbrev=False
    )
    room.add_argument("action", choices=["hub", "image", "start", "reset", "remove", "list", "progress"])
    room.add_argument("learners", nargs="*", metavar="LEARNER", help=_("learner names, e.g. ann bob"))
    room.add_argument(
        "--password-file",
        metavar="FILE",
        help=_("a file holding the workshop password (hub); or set COURSE_CLASSROOM_PASSWORD, or type it"),
    )
    room.add_argument(
        "--own-passwords",
        action="store_true",
        help=_("no shared password: each learner (and the instructor) sets their own at first login (hub)"),
    )
    room.add_argument(
        "--ip", default="127.0.0.1", help=_("the address the hub serves on (default: loopback)")
    )
    room.add_argument("--port", type=int, default=8000, help=_("the hub's port (default: 8000)"))
    room.add_argument(
        "--language",
        choices=LANGUAGES,
        default=language(),
        help=_("the room's language: the notebooks and JupyterLab in it (hub; default: your locale's)"),
    )
    room.set_defaults(run=_classroom)
    prog = sub.add_parser("progress", help=_("which exercises you solved, per notebook"))
    prog.add_argument("--export", metavar="FILE", help=_("write your progress to one file for an instructor"))
    prog.set_defaults(run=_progress)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``course`` command."""
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except CourseError as exc:
        print(f"course: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(_("course: interrupted."), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
