"""Command line of the HW6 autograder.

    python -m autograder grade solutions                     # grade a folder or .zip, as Gradescope would
    python -m autograder grade hw6.zip --results out.json    # results.json goes to ./results.json by default
    python -m autograder grade hw6.zip --html report.html    # also the results as a page, with the figures
    python -m autograder grade-all SRC --out gradebook.csv   # a class: a folder of submissions or Gradescope's export
    python -m autograder similarity SRC --out similarity.html --csv pairs.csv   # for staff: code in common
    python -m autograder build                               # dist/autograder.zip, to upload to Gradescope
    python -m autograder gradescope                          # what run_autograder calls on Gradescope

Options common to grading: --config OVERLAY.toml (keys that override autograder/config.toml),
--mnist PATH (default: $MNIST_NPZ, then Keras's cache). Ctrl-C or SIGTERM stops grading cleanly:
the sandbox is killed, results.json says grading was interrupted, and the exit code is 128 + the
signal's number.
"""
import argparse
import os
import sys
from pathlib import Path

from . import interrupt
from .config import ConfigError, load_config
from .evidence.data import MissingDataError
from .sandbox import progress


def grade_command(args):
    from .evidence.data import find_mnist
    from .results.grade import grade
    from .results.table import table

    config = load_config(args.config).with_sandbox(threads=args.threads, user=args.sandbox_user)
    find_mnist(args.mnist)  # a missing data file is the user's to fix: say so before grading
    progress.enable()
    interrupt.stop_with_parent()
    with interrupt.handled():
        results = grade(args.path, config, args.results, mnist=args.mnist)
        print(table(results))
        print(f"Wrote {os.path.abspath(args.results)}")
        if args.html:
            from .results.html_report import write_report
            print(f"Wrote {write_report(results, args.html, title=str(args.path))}")
    return interrupt.exit_code()


def grade_all_command(args):
    from .evidence.data import find_mnist
    from .results.batch import grade_all
    from .results.slurm_preflight import SlurmUnavailable
    from .results.slurm_settings import settings

    config = load_config(args.config)
    mnist = find_mnist(args.mnist)
    slurm = None
    if args.executor == "slurm":
        slurm = settings(config, partition=args.partition, time=args.time, mem=args.mem,
                         cpus_per_task=args.cpus_per_task, gpus=args.gpus, slurm_args=args.slurm_arg)
    with interrupt.handled():
        try:
            rows = grade_all(Path(args.src), Path(args.out), config, jobs=args.jobs, force=args.force,
                             overlay=args.config, mnist=mnist, slurm=slurm)
        except interrupt.Interrupted as stop:
            print(f"Interrupted ({stop.name}): kept the submissions graded so far in {args.out}; "
                  "run the same command again to grade the rest.", file=sys.stderr)
            return interrupt.exit_code()
        except SlurmUnavailable as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    print(f"Wrote {args.out} and {Path(args.out).with_suffix('.html')}: {len(rows)} submissions")
    return interrupt.exit_code()


def similarity_command(args):
    from .results.batch import discover
    from .results.similarity import similarity_report

    config = load_config(args.config)
    past = [(Path(folder).resolve().name, discover(folder)) for folder in args.reference]
    submissions, pairs = similarity_report(discover(args.src), Path(args.out), Path(args.csv), config, past)
    shown = sum(p.similarity >= config.integrity["similarity_threshold"] for p in pairs)
    print(f"Compared {len(submissions)} submissions: {len(pairs)} pairs share some code, {shown} at or above "
          f"{config.integrity['similarity_threshold']:g}. Wrote {args.out} and {args.csv}")
    return 0


def gradescope_command(args):
    """Gradescope's layout: /autograder/{submission,results/results.json} (root from $AUTOGRADER_ROOT)."""
    from .results.grade import grade
    from .results.table import table

    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    mnist = Path(__file__).resolve().parent.parent / "data" / "mnist.npz"
    progress.enable(live=False)  # run_autograder's stdout is a log that staff read
    with interrupt.handled():
        results = grade(root / "submission", load_config(args.config), root / "results" / "results.json",
                        mnist=mnist if mnist.exists() else None)
        print(table(results))
    return interrupt.exit_code()


def build_command(args):
    from .gradescope.build import build

    path = build(Path(args.out), mnist=args.mnist)
    print(f"Wrote {path} ({path.stat().st_size / 2**20:.1f} MiB). Upload it as the autograder of a "
          "Gradescope programming assignment (Ubuntu 22.04 base image).")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade one submission (folder or .zip) locally")
    grade.add_argument("path", help="a folder or .zip holding hw6/code/{vae.py,assignment.py}")
    grade.add_argument("--results", default="results.json", help="where to write results.json")
    grade.add_argument("--threads", type=int, default=None,
                       help="TensorFlow threads per process (default: the CPUs available, within a container's CPU quota)")
    grade.add_argument("--sandbox-user", default=None, help="user that runs student code when root (default: student)")
    grade.add_argument("--html", default=None, help="also write the results as a standalone page, figures included")
    grade.set_defaults(run=grade_command)

    grade_all = commands.add_parser("grade-all", help="regrade a folder of submissions or a Gradescope export")
    grade_all.add_argument("src", help="folder of submissions (folders or .zip), or a Gradescope export (folder or .zip)")
    grade_all.add_argument("--out", default="gradebook.csv",
                           help="the CSV to write; gradebook.html (charts, links to each report) goes beside it")
    grade_all.add_argument("--jobs", type=int, default=1,
                           help="local executor: submissions graded at once (each gets CPUs / jobs threads)")
    grade_all.add_argument("--force", action="store_true", help="regrade submissions that already have results")
    grade_all.add_argument("--executor", choices=("local", "slurm"), default="local",
                           help="where the graders run: here (default), or as the tasks of a Slurm job array")
    slurm = grade_all.add_argument_group("Slurm (--executor slurm; defaults in config.toml's [slurm])")
    slurm.add_argument("--partition", default=None, help="partition (default: the cluster's default)")
    slurm.add_argument("--time", type=int, default=None,
                       help="minutes per task (default: the longest a grading may run under the sandbox's limits)")
    slurm.add_argument("--mem", default=None, help="memory per task, as sbatch takes it, e.g. 6G "
                       "(default: the sandbox's rss_mib plus 1 GiB)")
    slurm.add_argument("--cpus-per-task", type=int, default=None, help="CPUs per task, also its grader's threads")
    slurm.add_argument("--gpus", type=int, default=None, help="GPUs per task (default: none)")
    slurm.add_argument("--slurm-arg", action="append", default=[], metavar="KEY=VALUE",
                       help="another sbatch option, e.g. account=cs1470, qos=normal, constraint=avx512 (repeatable)")
    grade_all.set_defaults(run=grade_all_command)

    similarity = commands.add_parser("similarity", help="for staff: compare what each pair of students wrote")
    similarity.add_argument("src", help="what grade-all takes: a folder of submissions or a Gradescope export")
    similarity.add_argument("--out", default="similarity.html", help="the page: pairs above the threshold, side by side")
    similarity.add_argument("--csv", default="pairs.csv", help="every pair with code in common, highest first")
    similarity.add_argument("--reference", action="append", default=[], metavar="DIR",
                            help="past terms' submissions to compare with (a folder or export; repeatable)")
    similarity.set_defaults(run=similarity_command)

    gradescope = commands.add_parser("gradescope", help="grade /autograder/submission (run_autograder)")
    gradescope.set_defaults(run=gradescope_command, mnist=None)

    build = commands.add_parser("build", help="write the Gradescope autograder zip")
    build.add_argument("--out", default="dist/autograder.zip", help="where to write the zip")
    build.add_argument("--mnist", default=None, help="mnist.npz to bundle (default: $MNIST_NPZ, then Keras's cache)")
    build.set_defaults(run=build_command, config=None)

    for sub in (grade, gradescope, grade_all, similarity):
        sub.add_argument("--config", default=None, help="TOML overlay for autograder/config.toml")
    for sub in (grade, grade_all):
        sub.add_argument("--mnist", default=None, help="path to mnist.npz (default: $MNIST_NPZ, then Keras's cache)")

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ConfigError, MissingDataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
