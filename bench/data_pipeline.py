"""Does tf.data's autotuning slow the training loop down? Prints figures from one run on this machine.

    .venv/bin/python bench/data_pipeline.py                 # ~3 min on 2 cores
    .venv/bin/python bench/data_pipeline.py --images 30000
    .venv/bin/python bench/data_pipeline.py --quota 0.5    # also under a 1/2-CPU cgroup quota (root)

Trains the reference VAE with its own train_vae (one TensorFlow thread, the grader's compiled
call and loss) on the given to_batches's dataset, with tf.data's autotuning on (to_batches as
students run it) and off (as the grader runs it, sandbox/harness_common.training_batches), each
in a fresh process, on one core (the affinity of taskset or a 1-vCPU machine) and on all cores.
With --quota, also on all cores under a cgroup CPU quota, as in Gradescope's container. For
each: the wall time of the epochs after a warm-up epoch, their CPU time, and wall / CPU. A ratio
above 1 on one core (above 1 / quota under a quota) is time the loop spent waiting, not computing.
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from grading import ControlGroup  # noqa: E402

CHILD = r"""
import os, sys, time
import keras, tensorflow as tf
if {one_core}:
    os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()
sys.path[:0] = [{solutions!r}, {sandbox!r}]
import assignment, harness_common, speedups, vae
speedups.install()
keras.utils.set_random_seed(0)
(x, y), _ = assignment.read_mnist()
x, y = x[:{images}], y[:{images}]
if {autotune}:
    data = assignment.to_batches(x, y, 128, shuffle_buffer=1024)  # as students run it
else:
    data = harness_common.training_batches(assignment, x, y, 128)  # as the grader runs it
model = vae.VAE(784, latent_size=15)
model(tf.zeros((128, 1, 28, 28)))
object.__setattr__(model, "call", tf.function(model.call))
assignment.loss_function = tf.function(vae.loss_function)
model.compile(optimizer=keras.optimizers.Adam(1e-3))
args = assignment.parseArguments([])
assignment.train_vae(model, data, args)  # warm-up: tracing
wall, cpu = time.perf_counter(), time.process_time()
losses = [assignment.train_vae(model, data, args) for _ in range({epochs})]
print(time.perf_counter() - wall, time.process_time() - cpu, losses[-1])
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=15000, help="training images per epoch")
    parser.add_argument("--epochs", type=int, default=2, help="epochs timed, after the warm-up")
    parser.add_argument("--quota", type=float, help="also run under this cgroup CPU quota, in CPUs (needs root)")
    args = parser.parse_args()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    print(f"CPUs: {len(os.sched_getaffinity(0))}; {args.images} images, {args.epochs} epochs timed")
    print(f"{'cores':8} {'autotune':9} {'wall s':>7} {'CPU s':>7} {'wall/CPU':>9}   last epoch's loss")
    settings = [("1", True, None), ("all", False, None)] + ([(f"{args.quota:g} CPU", False, args.quota)] if args.quota else [])
    for cores, one_core, quota in settings:
        for autotune in (True, False):
            code = CHILD.format(one_core=one_core, autotune=autotune, images=args.images, epochs=args.epochs,
                                solutions=str(ROOT / "solutions"), sandbox=str(ROOT / "autograder" / "sandbox"))
            group = ControlGroup(8 * 2**30, cpus=quota, name="hw6-bench-data") if quota else None
            try:
                proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                      preexec_fn=group.join if group else None)
            finally:
                if group:
                    group.remove()
            if proc.returncode != 0:
                sys.exit(proc.stderr[-3000:])
            wall, cpu, loss = map(float, proc.stdout.split()[-3:])
            print(f"{cores:8} {'on' if autotune else 'off':9} {wall:7.2f} {cpu:7.2f} {wall / cpu:9.2f}   {loss:.4f}")


if __name__ == "__main__":
    main()
