"""mkdocs-gen-files script: one API reference page per public module of opentangle.

The module list is read from the installed package at build time (``pkgutil.walk_packages``),
so a module added later gets its page without editing anything here.  A module is public when
no component of its dotted name starts with ``_``.
"""

from __future__ import annotations

import pkgutil

import mkdocs_gen_files

import opentangle


def public_modules() -> list[str]:
    """Dotted names of every public module and package under ``opentangle``, sorted."""
    names = ["opentangle"]
    for info in pkgutil.walk_packages(opentangle.__path__, prefix="opentangle."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def page_path(module: str) -> str:
    """``reference/opentangle/lindblad/index.md`` for a package, ``.../steady.md`` for a module."""
    parts = module.split(".")
    is_pkg = pkgutil.resolve_name(module).__spec__.submodule_search_locations is not None
    return "/".join(["reference", *parts, "index.md"] if is_pkg else ["reference", *parts[:-1], parts[-1] + ".md"])


def main() -> None:
    nav = mkdocs_gen_files.Nav()
    for module in public_modules():
        path = page_path(module)
        nav[tuple(module.split("."))] = path.removeprefix("reference/")
        with mkdocs_gen_files.open(path, "w") as fh:
            fh.write(f"# `{module}`\n\n::: {module}\n")
        mkdocs_gen_files.set_edit_path(path, None)
    with mkdocs_gen_files.open("reference/SUMMARY.md", "w") as fh:
        fh.writelines(nav.build_literate_nav())


if __name__ in ("__main__", "<run_path>"):  # run by mkdocs-gen-files (runpy), not on import
    main()
