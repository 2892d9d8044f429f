"""Sanitize, then execute (as nbgrader does): rebuild each student file around the given code.

The student owns the top-level functions and classes that hold a TODO in the reference
(VAE, CVAE, reparameterize, loss_function, train_vae). Everything else is given: the grader
rebuilds the file from the reference, puts the student's versions of their own definitions in
place, keeps the student's extra imports and helpers, and drops anything that redefines or
patches a given name. A submission written against the original Keras-2 stencil thus gets
the Keras-3 bce_function and helpers, and `def reparametrize` is accepted for reparameterize.

The optional parts' files (conv_vae.py, ...) are sanitized with methods=True: there a class
with a TODO is rebuilt from the reference too, and the student owns only its methods that
hold a TODO (ConvVAE.train_step, not the given ConvVAE.encode).
"""
import ast
import functools
import re
import textwrap
from dataclasses import dataclass, field

ALIASES = {"reparameterize": "reparametrize"}  # the original stencil's spelling


class SanitizeError(ValueError):
    """The student's file cannot be parsed; the message names the line."""


@dataclass
class Sanitized:
    text: str
    missing: list = field(default_factory=list)     # student-owned names not found
    restored: list = field(default_factory=list)    # given names the student had changed
    dropped: list = field(default_factory=list)     # student statements that patched given names
    student: list = field(default_factory=list)     # (line, source) of what the student wrote and the file keeps


@functools.lru_cache(maxsize=16)
def given_tree(text):
    """The syntax tree of given code (the reference or the stencil), parsed once: a class's worth of
    submissions reuses it (similarity reads hundreds). Never modified."""
    return ast.parse(text)


@functools.lru_cache(maxsize=16)
def given_statements(text):
    """The given code's top-level statements, as ast.unparse writes them."""
    return frozenset(ast.unparse(n) for n in given_tree(text).body)


def defined_name(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    return None


def assigned_names(node):
    """Names a top-level statement binds: assigned names, dotted targets such as
    vae.bce_function, and imported names."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    names = []
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
            elif isinstance(sub, ast.Attribute):
                names.append(ast.unparse(sub))
    return names


def is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def first_line(node):
    """The line a statement starts on, its decorators included."""
    return min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])


def segment(lines, node):
    """Source lines of a top-level statement, decorators and inner comments included."""
    return "".join(lines[first_line(node) - 1:node.end_lineno])


def without_docstrings(node):
    """ast.dump of a definition, ignoring docstrings, to tell real edits from cosmetic ones."""
    node = ast.parse(ast.unparse(node)).body[0]
    for sub in ast.walk(node):
        body = getattr(sub, "body", None)
        if isinstance(body, list) and body and is_docstring(body[0]):
            sub.body = body[1:] or [ast.Pass()]
    return ast.dump(node)


def is_main_guard(node):
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)


def owned_names(reference_text):
    """Names of the reference's top-level definitions that contain a TODO banner."""
    tree, lines = given_tree(reference_text), reference_text.splitlines(keepends=True)
    return {defined_name(node) for node in tree.body
            if defined_name(node) and "# TODO (" in segment(lines, node)}


def owned_methods(class_node, lines):
    """Names of a reference class's methods that contain a TODO banner."""
    return {defined_name(n) for n in class_node.body if defined_name(n) and "# TODO (" in segment(lines, n)}


def reindented(source, indent):
    """A method's source moved to the class body's indentation (students' editors differ)."""
    return textwrap.indent(textwrap.dedent(source), indent)


def merge_class(ref_node, ref_lines, student_node, student_lines, stencil_node, stencil_lines, result):
    """The reference class, with the student's TODO methods (else the stencil's) and extra methods."""
    name, owned = ref_node.name, owned_methods(ref_node, ref_lines)
    mine = {defined_name(n): n for n in getattr(student_node, "body", []) if defined_name(n)}
    stubs = {defined_name(n): n for n in stencil_node.body if defined_name(n)}
    start = min([d.lineno for d in ref_node.decorator_list] + [ref_node.lineno]) - 1
    out, cursor = [], start
    for node in ref_node.body:
        method = defined_name(node)
        if method is None:
            continue
        first = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
        indent = re.match(r"[ \t]*", ref_lines[first]).group()
        if method in owned:
            source = segment(student_lines, mine[method]) if method in mine else segment(stencil_lines, stubs[method])
            if method in mine:
                result.student.append((first_line(mine[method]), source))
            else:
                result.missing.append(f"{name}.{method}")
        else:
            source = segment(ref_lines, node)
            if method in mine and without_docstrings(mine[method]) != without_docstrings(node):
                result.restored.append(f"{name}.{method}")
        out.extend(ref_lines[cursor:first])
        out.append(reindented(source, indent).rstrip("\n") + "\n")
        cursor = node.end_lineno
    out.extend(ref_lines[cursor:ref_node.end_lineno])
    given = {defined_name(n) for n in ref_node.body}
    for method, node in mine.items():  # the student's own helper methods
        if method not in given:
            indent = re.match(r"[ \t]*", ref_lines[ref_node.body[-1].lineno - 1]).group()
            out.append("\n" + reindented(segment(student_lines, node), indent).rstrip("\n") + "\n")
            result.student.append((first_line(node), segment(student_lines, node)))
    return "".join(out)


def parse_student(text, filename):
    try:
        return ast.parse(text, filename=filename)
    except SyntaxError as err:
        where = f"line {err.lineno}" + (f": {err.text.strip()}" if err.text else "")
        raise SanitizeError(f"{filename} has a syntax error at {where} ({err.msg})") from None
    except ValueError as err:  # e.g. null bytes
        raise SanitizeError(f"{filename} cannot be parsed: {err}") from None


def sanitize(reference_text, stencil_text, student_text, filename, methods=False):
    """The graded version of one file: the reference's given code with the student's own parts.

    methods=True: owned classes keep the reference's given methods (see the module docstring).
    """
    owned = owned_names(reference_text)
    ref_tree, ref_lines = given_tree(reference_text), reference_text.splitlines(keepends=True)
    stencil_tree, stencil_lines = given_tree(stencil_text), stencil_text.splitlines(keepends=True)
    tree = parse_student(student_text, filename)
    lines = student_text.splitlines(keepends=True)

    student_defs = {defined_name(n): n for n in tree.body if defined_name(n)}
    renamed = set()
    for name, alias in ALIASES.items():
        if name in owned and name not in student_defs and alias in student_defs:
            student_defs[name] = student_defs.pop(alias)  # graded under the new name
            renamed.add(name)
    ref_defs = {defined_name(n): n for n in ref_tree.body if defined_name(n)}
    ref_statements = given_statements(reference_text)
    # Names the reference itself defines or assigns (its imports are not given code).
    given = {name for n in ref_tree.body if not isinstance(n, (ast.Import, ast.ImportFrom))
             for name in [defined_name(n), *assigned_names(n)] if name} - owned
    result = Sanitized("")

    for name, node in ref_defs.items():
        if name in given and name in student_defs and without_docstrings(student_defs[name]) != without_docstrings(node):
            result.restored.append(name)

    extras = []
    for index, node in enumerate(tree.body):
        name = defined_name(node)
        if name in owned or (index == 0 and is_docstring(node)) or is_main_guard(node):
            continue  # placed below, or the module docstring, or a script entry point
        if name in given or ast.unparse(node) in ref_statements:
            continue  # given code, restored from the reference (reported above if changed)
        patched = [n for n in ([name] if name else assigned_names(node))
                   if n in given or n in owned or n in ALIASES.values() or "." in n]
        if patched:
            result.dropped.append(f"line {node.lineno}: {ast.unparse(node).splitlines()[0][:80]}")
            continue
        extras.append(segment(lines, node))
        result.student.append((first_line(node), extras[-1]))

    # Rebuild from the reference's own lines, swapping in the student's definitions.
    out, cursor, extras_placed = [], 0, False
    for node in ref_tree.body:
        name = defined_name(node)
        if name not in owned:
            continue
        start = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
        out.extend(ref_lines[cursor:start])
        if not extras_placed:  # the student's imports and helpers go before their first definition
            out.extend(piece.rstrip("\n") + "\n\n\n" for piece in extras)
            extras_placed = True
        if methods and isinstance(node, ast.ClassDef):
            stub = next(n for n in stencil_tree.body if defined_name(n) == name)
            mine = student_defs.get(name) if isinstance(student_defs.get(name), ast.ClassDef) else None
            if mine is None:
                result.missing.append(name)
            source = merge_class(node, ref_lines, mine, lines, stub, stencil_lines, result)
        elif name in student_defs:
            source = segment(lines, student_defs[name])
            result.student.append((first_line(student_defs[name]), source))
            if name in renamed:  # keep the alias's body under the name the grader calls
                source = source.replace(f"def {ALIASES[name]}(", f"def {name}(", 1)
        else:
            result.missing.append(name)
            source = segment(stencil_lines, next(n for n in stencil_tree.body if defined_name(n) == name))
        out.append(source.rstrip("\n") + "\n")
        cursor = node.end_lineno
    out.extend(ref_lines[cursor:])
    result.text = "".join(out)
    result.student.sort(key=lambda piece: piece[0])  # the student's own order
    return result
