"""Turn one reference-solution file into its student version.

A solution region lives inside a numbered TODO banner:

        # TODO (3.1): Implement the reparameterization trick.
        #   (instruction comments for students)
        # BEGIN SOLUTION
        z = mu + tf.exp(0.5 * logvar) * epsilon
        # END SOLUTION
        # END TODO (3.1)

`# BEGIN SOLUTION` through `# END SOLUTION` becomes `raise NotImplementedError("TODO 3.1")`
at the BEGIN line's indentation; a code line ending in `# SOLUTION` is replaced the same way.
Everything else, line endings included, is kept as is.

    python -c "import sys, stencil.markers as m; p = sys.argv[1]; print(m.transform(open(p, newline='').read(), p), end='')" solutions/vae.py
"""
import ast
import re

BANNER = re.compile(r"^\s*#\s*TODO \(([\w.]+)\):")
END_TODO = re.compile(r"^\s*#\s*END TODO \(([\w.]+)\)\s*$")
BEGIN = re.compile(r"^\s*#\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
# Code followed by a `# SOLUTION` comment; a comment-only line is not a one-line solution.
ONE_LINE = re.compile(r"^\s*[^#\s].*#\s*SOLUTION\s*$")
# A near-miss marker ("#BEGIN SOLUTION:", "# end solution") would silently ship the answer.
NEAR_MISS = re.compile(r"\b(BEGIN|END)[ _-]?SOLUTION\b", re.IGNORECASE)
# Split only on Python's line terminators; str.splitlines also splits on \f, \x1c, \u2028, ...
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class StencilError(ValueError):
    """A marker problem; the message starts with `path:line:`."""


def _indent(body):
    return re.match(r"[ \t]*", body).group()


def _raise(indent, number, ending):
    return f'{indent}raise NotImplementedError("TODO {number}"){ending}'


def transform(text, path="<text>"):
    """Return the student version of `text`; raise StencilError naming path:line if markers are bad.

    `path` is used in messages, and a changed `.py` file must still parse.
    """
    out, origin = [], []               # output lines, and the input line each came from
    seen = {}                          # TODO number -> line of its banner, to catch duplicates
    todo = todo_line = None            # the open banner
    solutions = 0                      # solution regions in the open banner
    block_line = block_indent = None   # the open BEGIN SOLUTION

    def fail(lineno, message):
        raise StencilError(f"{path}:{lineno}: {message}")

    for lineno, line in enumerate(LINE.findall(text), 1):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        if block_line is not None:     # inside a solution block: drop lines until END SOLUTION
            if BEGIN.match(body):
                fail(lineno, f"BEGIN SOLUTION nested inside the one opened at line {block_line}")
            if BANNER.match(body) or END_TODO.match(body):
                fail(block_line, "BEGIN SOLUTION has no matching END SOLUTION")
            if END.match(body):
                if _indent(body) != block_indent:
                    fail(lineno, "END SOLUTION is indented differently from its BEGIN SOLUTION "
                                 f"at line {block_line}")
                out.append(_raise(block_indent, todo, ending))
                origin.append(block_line)
                block_line = None
            continue
        if m := BANNER.match(body):
            if todo is not None:
                fail(todo_line, f"TODO ({todo}) is not closed with '# END TODO ({todo})' "
                                f"before the next TODO at line {lineno}")
            if m[1] in seen:
                fail(lineno, f"duplicate TODO ({m[1]}); already used at line {seen[m[1]]}")
            todo, todo_line, solutions = m[1], lineno, 0
            seen[todo] = lineno
        elif m := END_TODO.match(body):
            if todo is None:
                fail(lineno, f"END TODO ({m[1]}) without an open '# TODO ({m[1]}):' banner")
            if m[1] != todo:
                fail(lineno, f"END TODO ({m[1]}) does not match the open TODO ({todo}) "
                             f"from line {todo_line}")
            if not solutions:
                # Without a solution region the code under the banner would ship to students.
                fail(todo_line, f"TODO ({todo}) has no BEGIN SOLUTION block or '# SOLUTION' line")
            todo = None
        elif BEGIN.match(body):
            if todo is None:
                fail(lineno, "BEGIN SOLUTION outside a '# TODO (n):' banner")
            block_line, block_indent = lineno, _indent(body)
            solutions += 1
            continue
        elif END.match(body):
            fail(lineno, "END SOLUTION without a BEGIN SOLUTION")
        elif ONE_LINE.match(body):
            if todo is None:
                fail(lineno, "'# SOLUTION' line outside a '# TODO (n):' banner")
            out.append(_raise(_indent(body), todo, ending))
            origin.append(lineno)
            solutions += 1
            continue
        if NEAR_MISS.search(body):
            fail(lineno, "looks like a solution marker but is not one; "
                         "write exactly '# BEGIN SOLUTION' / '# END SOLUTION'")
        out.append(line)
        origin.append(lineno)

    if block_line is not None:
        fail(block_line, "BEGIN SOLUTION has no matching END SOLUTION")
    if todo is not None:
        fail(todo_line, f"TODO ({todo}) is never closed with '# END TODO ({todo})'")
    result = "".join(out)
    if str(path).endswith(".py") and result != text:
        try:
            ast.parse(result, filename=str(path))
        except (SyntaxError, ValueError) as e:
            # Point at the solutions/ line the broken stencil line came from.
            lineno = getattr(e, "lineno", None)
            where = f"{path}:{origin[lineno - 1]}" if lineno and lineno <= len(origin) else path
            raise StencilError(f"{where}: the stencil version does not parse "
                               f"({getattr(e, 'msg', e)}); check the solution markers here") from None
    return result
