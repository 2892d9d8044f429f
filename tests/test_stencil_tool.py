"""Tests of the stencil generator (python -m stencil) on small synthetic solution trees.

    python -m pytest tests/test_stencil_tool.py -q
"""
import subprocess
import sys
from pathlib import Path

import pytest

from stencil.__main__ import main
from stencil.markers import StencilError, transform

ROOT = Path(__file__).resolve().parent.parent

VAE = '''\
import tensorflow as tf


def reparameterize(mu, logvar):
    """Sample z ~ N(mu, exp(logvar))."""
    epsilon = tf.random.normal(tf.shape(mu))
    # TODO (1.3): Implement the reparameterization trick.
    #   z = mu + sigma * epsilon
    # BEGIN SOLUTION
    z = mu + tf.exp(0.5 * logvar) * epsilon
    # END SOLUTION
    # END TODO (1.3)
    return z
'''

VAE_STENCIL = '''\
import tensorflow as tf


def reparameterize(mu, logvar):
    """Sample z ~ N(mu, exp(logvar))."""
    epsilon = tf.random.normal(tf.shape(mu))
    # TODO (1.3): Implement the reparameterization trick.
    #   z = mu + sigma * epsilon
    raise NotImplementedError("TODO 1.3")
    # END TODO (1.3)
    return z
'''


def make_tree(root, files):
    """Write {relative path: str or bytes} under root and return root."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, newline="")
    return root


def run(*args, src, dest):
    return main([*args, "--src", str(src), "--dest", str(dest)])


# --- the transform of one file ---------------------------------------------------------------

def test_are_solution_regions_replaced_by_a_notimplementederror_naming_the_todo():
    """Are BEGIN..END SOLUTION lines replaced by one raise, keeping banner and instructions?"""
    assert transform(VAE, "vae.py") == VAE_STENCIL


def test_does_the_raise_take_the_indentation_of_its_begin_line():
    """Does a block nested in a method and an `if` get a raise at the BEGIN line's indentation?"""
    src = (
        "class VAE:\n"
        "    def call(self, x):\n"
        "        # TODO (2.10): Encode and decode.\n"
        "        if x is not None:\n"
        "            # BEGIN SOLUTION\n"
        "            y = x * 2\n"
        "            # END SOLUTION\n"
        "        # END TODO (2.10)\n"
        "        return y\n"
    )
    out = transform(src, "m.py")
    assert '            raise NotImplementedError("TODO 2.10")\n' in out.splitlines(True)
    assert "y = x * 2" not in out
    assert "        # TODO (2.10): Encode and decode.\n" in out


def test_is_a_line_ending_in_solution_comment_replaced_at_its_indentation():
    """Is a one-line `# SOLUTION` replaced by a raise naming its banner's number?"""
    src = (
        "def loss(x):\n"
        "    # TODO (4.2a): Compute the loss.\n"
        "    value = x ** 2  # SOLUTION\n"
        "    # END TODO (4.2a)\n"
        "    return value\n"
    )
    assert transform(src, "l.py") == (
        "def loss(x):\n"
        "    # TODO (4.2a): Compute the loss.\n"
        '    raise NotImplementedError("TODO 4.2a")\n'
        "    # END TODO (4.2a)\n"
        "    return value\n"
    )


def test_does_every_block_in_one_banner_become_a_raise_with_the_same_number():
    """Do two solution blocks under one banner both become raises naming that banner?"""
    src = (
        "def f(x):\n"
        "    # TODO (1): Two parts.\n"
        "    # BEGIN SOLUTION\n"
        "    a = x\n"
        "    # END SOLUTION\n"
        "    # given to students\n"
        "    b = 1\n"
        "    # BEGIN SOLUTION\n"
        "    c = a + b\n"
        "    # END SOLUTION\n"
        "    # END TODO (1)\n"
    )
    out = transform(src, "f.py")
    assert out.count('    raise NotImplementedError("TODO 1")\n') == 2
    assert "    b = 1\n" in out and "a = x" not in out and "c = a + b" not in out


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_are_line_endings_and_the_final_newline_preserved(newline, final_newline):
    """Are CRLF/LF endings kept, and is a missing final newline still missing?"""
    lines = ["# TODO (3): Do it.", "# BEGIN SOLUTION", "x = 1", "# END SOLUTION",
             "# END TODO (3)", "print(x)"]
    expected = ["# TODO (3): Do it.", 'raise NotImplementedError("TODO 3")',
                "# END TODO (3)", "print(x)"]
    end = newline if final_newline else ""
    out = transform(newline.join(lines) + end, "t.py")
    assert out == newline.join(expected) + end


def test_is_text_without_markers_returned_unchanged():
    """Is a file with ordinary comments (including a plain `# TODO:`) left exactly as it was?"""
    src = "# TODO: tidy this up later\nx = 1  # solution-free\r\n\fy = 2"
    assert transform(src, "plain.py") == src


BAD = {
    "begin without end": (
        "# TODO (1): a\n# BEGIN SOLUTION\nx = 1\n", 2, "no matching END SOLUTION"),
    "begin without end before end todo": (
        "# TODO (1): a\n# BEGIN SOLUTION\nx = 1\n# END TODO (1)\n", 2, "no matching END SOLUTION"),
    "end without begin": (
        "# TODO (1): a\nx = 1  # SOLUTION\n# END SOLUTION\n# END TODO (1)\n", 3,
        "END SOLUTION without a BEGIN SOLUTION"),
    "nested begin": (
        "# TODO (1): a\n# BEGIN SOLUTION\n# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n"
        "# END SOLUTION\n# END TODO (1)\n", 3, "nested"),
    "block outside banner": (
        "x = 0\n# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", 2, "outside a '# TODO (n):' banner"),
    "one-liner outside banner": (
        "x = 1  # SOLUTION\n", 1, "outside a '# TODO (n):' banner"),
    "end todo number mismatch": (
        "# TODO (1.2): a\n# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n# END TODO (1.3)\n", 5,
        "does not match the open TODO (1.2)"),
    "end todo without banner": (
        "x = 1\n# END TODO (1)\n", 2, "without an open"),
    "banner never closed": (
        "x = 0\n# TODO (1): a\n# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", 2, "never closed"),
    "banner not closed before the next": (
        "# TODO (1): a\nx = 1  # SOLUTION\n# TODO (2): b\ny = 2  # SOLUTION\n# END TODO (2)\n", 1,
        "not closed"),
    "duplicate todo number": (
        "# TODO (1): a\nx = 1  # SOLUTION\n# END TODO (1)\n"
        "# TODO (1): again\ny = 1  # SOLUTION\n# END TODO (1)\n", 4, "duplicate TODO (1)"),
    "end indented differently": (
        "def f():\n    # TODO (1): a\n    # BEGIN SOLUTION\n    x = 1\n# END SOLUTION\n"
        "    # END TODO (1)\n", 5, "indented differently"),
    "banner with no solution region": (
        "# TODO (1): a\nsecret = 42\n# END TODO (1)\n", 1, "no BEGIN SOLUTION"),
    "misspelt marker": (
        "# TODO (1): a\n#BEGIN SOLUTION:\nx = 1\n# END SOLUTION\n# END TODO (1)\n", 2,
        "looks like a solution marker"),
}


@pytest.mark.parametrize("text, line, message", BAD.values(), ids=BAD.keys())
def test_are_bad_markers_reported_with_file_and_line(text, line, message):
    """Does each malformed marker layout raise a StencilError naming file:line and the problem?"""
    with pytest.raises(StencilError) as info:
        transform(text, "solutions/bad.py")
    assert str(info.value).startswith(f"solutions/bad.py:{line}: ")
    assert message in str(info.value)


def test_is_a_stencil_that_no_longer_parses_reported_with_its_source_line():
    """Is a `# SOLUTION` on a continuation line, which breaks the syntax, caught by name and line?"""
    src = "# TODO (1): a\ntotal = (1 +\n         2)  # SOLUTION\n# END TODO (1)\n"
    with pytest.raises(StencilError, match=r"^solutions/sum\.py:\d+: .*does not parse"):
        transform(src, "solutions/sum.py")
    # The same text is fine outside a .py file, where nothing is parsed.
    assert "raise NotImplementedError" in transform(src, "notes.txt")


# --- build and check on whole trees ------------------------------------------------------------

@pytest.fixture
def trees(tmp_path):
    src = make_tree(tmp_path / "solutions", {
        "vae.py": VAE,
        "NOTES.md": "# HW6\r\nNo markers here.",
        "data/logo.bin": bytes(range(256)),
        "pkg/helpers.py": "def helper():\n    return 1\n",
    })
    return src, tmp_path / "hw6" / "code"


def test_does_build_write_stencils_and_copy_marker_free_files_byte_for_byte(trees):
    """Does build write the stencil for marked files and identical bytes for every other file?"""
    src, dest = trees
    assert run("build", src=src, dest=dest) == 0
    assert (dest / "vae.py").read_text() == VAE_STENCIL
    for rel in ["NOTES.md", "data/logo.bin", "pkg/helpers.py"]:
        assert (dest / rel).read_bytes() == (src / rel).read_bytes()


IGNORED = ["__pycache__/vae.cpython-311.pyc", "stray.pyc", ".pytest_cache/v/cache/lastfailed",
           "outputs/samples.png", "model_ckpts/vae.weights.h5", "weights.h5", "mnist.npz",
           "2470student", "README.md", "pkg/__pycache__/helpers.cpython-311.pyc"]


@pytest.mark.parametrize("junk", IGNORED)
def test_are_ignored_files_left_out_of_the_stencil(trees, junk):
    """Are caches, outputs, checkpoints, weights, data, 2470student and README.md not copied?"""
    src, dest = trees
    make_tree(src, {junk: b"junk"})
    assert run("build", src=src, dest=dest) == 0
    assert not (dest / junk).exists()
    assert (dest / "vae.py").exists()


def test_does_check_pass_right_after_build(trees, capsys):
    """Does check exit 0 when hw6/code is exactly what build writes?"""
    src, dest = trees
    run("build", src=src, dest=dest)
    capsys.readouterr()
    assert run("check", src=src, dest=dest) == 0
    assert "up to date" in capsys.readouterr().out


def test_does_check_fail_and_name_a_stale_file_with_a_diff(trees, capsys):
    """Does check exit 1, name the edited file, show a diff and say how to fix it?"""
    src, dest = trees
    run("build", src=src, dest=dest)
    (src / "vae.py").write_text(VAE.replace("Implement the", "Now implement the"))
    capsys.readouterr()
    assert run("check", src=src, dest=dest) == 1
    out = capsys.readouterr().out
    assert "changed" in out and "vae.py" in out
    assert "+    # TODO (1.3): Now implement the reparameterization trick." in out
    assert "run `python -m stencil build" in out
    assert "NOTES.md" not in out           # files that are up to date are not listed


def test_does_check_name_missing_and_extra_files(trees, capsys):
    """Does check exit 1 and list a file build would add and one it would remove?"""
    src, dest = trees
    run("build", src=src, dest=dest)
    (dest / "pkg" / "helpers.py").unlink()
    make_tree(dest, {"old_notes.py": "x = 1\n"})
    capsys.readouterr()
    assert run("check", src=src, dest=dest) == 1
    out = capsys.readouterr().out
    assert any("missing" in line and "pkg/helpers.py" in line for line in out.splitlines())
    assert any("extra" in line and "old_notes.py" in line for line in out.splitlines())


def test_does_check_exit_1_when_hw6_code_does_not_exist(trees):
    """Does check fail (not crash) when the stencil folder has never been built?"""
    src, dest = trees
    assert run("check", src=src, dest=dest) == 1


def test_does_build_remove_extra_files_but_keep_student_and_output_folders(trees, capsys):
    """Does build delete a file it no longer generates, say so, and leave protected folders alone?"""
    src, dest = trees
    keep = ["2470student", "README.md", "outputs/samples.png", "model_ckpts/vae.weights.h5",
            "__pycache__/vae.cpython-311.pyc"]
    make_tree(dest, {"old_notes.py": "x = 1\n", **{rel: b"keep me" for rel in keep}})
    assert run("build", src=src, dest=dest) == 0
    out = capsys.readouterr().out
    assert not (dest / "old_notes.py").exists()
    assert "removed" in out and "old_notes.py" in out
    for rel in keep:
        assert (dest / rel).read_bytes() == b"keep me"
    assert run("check", src=src, dest=dest) == 0      # protected folders don't make check fail


def test_does_a_marker_error_exit_2_and_write_nothing(trees, capsys):
    """Does build exit 2 with file:line on stderr and leave hw6/code untouched on a bad marker?"""
    src, dest = trees
    make_tree(dest, {"old_notes.py": "x = 1\n"})
    make_tree(src, {"broken.py": "# TODO (9): a\n# BEGIN SOLUTION\nx = 1\n# END TODO (9)\n"})
    assert run("build", src=src, dest=dest) == 2
    err = capsys.readouterr().err
    assert "broken.py:2:" in err and "no matching END SOLUTION" in err
    assert sorted(p.name for p in dest.rglob("*") if p.is_file()) == ["old_notes.py"]
    assert run("check", src=src, dest=dest) == 2


def test_does_build_refuse_to_write_into_the_solutions_folder(trees):
    """Does build exit 2 rather than overwrite the answers when dest is inside src?"""
    src, _ = trees
    assert run("build", src=src, dest=src / "code") == 2
    assert not (src / "code").exists()
    assert (src / "vae.py").read_text() == VAE


def test_does_python_dash_m_stencil_run_as_a_command(trees):
    """Does `python -m stencil check` work as a real command and exit 1 on a stale tree?"""
    src, dest = trees
    result = subprocess.run([sys.executable, "-m", "stencil", "check", "--src", str(src),
                             "--dest", str(dest)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert "missing" in result.stdout and "vae.py" in result.stdout
