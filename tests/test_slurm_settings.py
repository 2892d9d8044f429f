"""Are grade-all's Slurm settings what config.toml and the command line say, with defaults derived
from the sandbox's limits, and does grade-all say clearly when Slurm is not there? (No cluster
needed; test_slurm.py runs a real one.)"""
import math
import os

import pytest

from autograder.config import ConfigError, load_config
from autograder.results import slurm_settings
from autograder.sandbox.budget import grading_seconds
from conftest import QUICK, run_module


def test_slurm_settings_follow_the_config_and_the_command_line(tmp_path):
    """Is a task's default time the sandbox's longest grading plus the grader's own, and its memory
    the sandbox's rss_mib plus the grader's; do longer step limits lengthen it, and do the
    command line's values and site options win?"""
    config = load_config()
    default = slurm_settings.settings(config)
    assert default.time == math.ceil((grading_seconds(config) + slurm_settings.GRADER_SECONDS) / 60)
    assert default.mem == f"{config.sandbox['rss_mib'] + slurm_settings.GRADER_MIB}M"
    overlay = tmp_path / "slow.toml"
    overlay.write_text("[sandbox.seconds]\nepoch = 480\n")
    assert slurm_settings.settings(load_config(overlay)).time > default.time
    given = slurm_settings.settings(config, time=7, mem="6G", cpus_per_task=4, gpus=1, partition="gpu",
                                    slurm_args=["account=cs1470", "qos = normal"])
    params = given.parameters(chdir=tmp_path)
    assert (params["time"], params["mem"], params["cpus_per_task"], params["gpus_per_node"]) == (7, "6G", 4, 1)
    assert params["partition"] == "gpu" and params["use_srun"] is False
    assert params["additional_parameters"] == {"chdir": str(tmp_path), "signal": "URG@60", "account": "cs1470",
                                               "qos": "normal"}
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        slurm_settings.settings(config, slurm_args=["account"])


def test_no_slurm_here_is_a_clear_error(tmp_path):
    """Without Slurm's commands on PATH, does grade-all --executor slurm stop before submitting,
    with an error that says what to do, and no traceback?"""
    (tmp_path / "class").mkdir()
    env = dict(os.environ, PATH="/nonexistent")
    proc = run_module("autograder", "grade-all", tmp_path / "class", "--out", tmp_path / "book.csv",
                      "--executor", "slurm", "--config", QUICK, env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "error: Slurm's commands (sbatch, srun, sacct, scancel) are not on PATH" in proc.stderr
