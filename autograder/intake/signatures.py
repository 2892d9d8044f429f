"""Signatures of a module's top-level functions and class methods, read from source (no import).

    >>> signatures("def f(a, b=1): pass")
    {'f': '(a, b=1)'}
"""
import ast


def _signature(func):
    args = func.args
    params = [a.arg for a in args.posonlyargs + args.args]
    defaults = [ast.unparse(d) for d in args.defaults]
    rendered = params[:len(params) - len(defaults)] + [
        f"{p}={d}" for p, d in zip(params[len(params) - len(defaults):], defaults)]
    if args.vararg:
        rendered.append(f"*{args.vararg.arg}")
    rendered += [f"{a.arg}={ast.unparse(d)}" if d is not None else a.arg
                 for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        rendered.append(f"**{args.kwarg.arg}")
    return "(" + ", ".join(rendered) + ")"


def signatures(source):
    """{name or Class.method: '(params)'} for every top-level def and method in `source`."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = _signature(node)
        elif isinstance(node, ast.ClassDef):
            found[node.name] = "class"
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"{node.name}.{sub.name}"] = _signature(sub)
    return found
