"""The rendered ``mkdocs.yml`` is data: read it with a safe loader and allow only the settings symcnn writes.

mkdocs reads its configuration with PyYAML's full loader (``!!python/object/apply`` runs
code), imports every ``markdown_extensions`` and ``plugins`` entry as a Python module,
runs ``hooks`` files, takes ``theme.custom_dir`` templates unsandboxed and ``docs_dir``
anywhere. A ``--templates`` folder may restyle ``mkdocs.yml.j2``, but what it renders is
checked here before it is written or built: a safe load (no tags), only the keys below,
only symcnn's own hook, plugins and extensions, and relative paths inside the site.

>>> check_mkdocs_config("site_name: s\\nplugins: [search]\\nnav:\\n  - Home: index.md\\n")["nav"]
[{'Home': 'index.md'}]
>>> check_mkdocs_config("site_name: s\\nhooks: [evil.py]\\n")
Traceback (most recent call last):
...
symcnn.render.site_files.SiteError: the rendered mkdocs.yml has hooks ['evil.py']; symcnn runs only its own hook, hooks/symcnn_math.py
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..errors import visible
from .site_files import SiteError

__all__ = ["ALLOWED_EXTENSIONS", "ALLOWED_PLUGINS", "check_mkdocs_config"]

HOOK = "hooks/symcnn_math.py"
ALLOWED_PLUGINS = frozenset({"search", "offline"})
ALLOWED_EXTENSIONS = frozenset({
    "tables", "admonition", "def_list", "attr_list", "toc", "md_in_html", "footnotes", "abbr", "sane_lists",
    "pymdownx.arithmatex", "pymdownx.superfences", "pymdownx.details", "pymdownx.highlight",
    "pymdownx.inlinehilite", "pymdownx.tabbed", "pymdownx.betterem", "pymdownx.caret", "pymdownx.mark",
    "pymdownx.tilde", "pymdownx.smartsymbols", "pymdownx.keys",
})
_THEME_KEYS = frozenset({"name", "font", "features", "palette", "language", "icon"})
_EXTRA_KEYS = frozenset({"generator", "polyfills"})
_KEYS = frozenset({"site_name", "site_description", "site_author", "copyright", "use_directory_urls", "theme",
                   "extra", "extra_css", "extra_javascript", "markdown_extensions", "hooks", "plugins", "nav",
                   "strict", "validation"})
_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")


def _refuse(problem: str) -> SiteError:
    return SiteError(f"the rendered mkdocs.yml {visible(problem)}")


def _plain(value: Any, where: str) -> None:
    """Strings, numbers, booleans, None, and lists and string-keyed mappings of them."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(isinstance(k, str) for k in item):
                raise _refuse(f"has a non-text key in {where}")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif not (item is None or isinstance(item, (str, int, float, bool))):
            raise _refuse(f"has a {type(item).__name__} in {where}")


def _relative_path(value: Any, where: str) -> None:
    if not (isinstance(value, str) and _PATH.fullmatch(value) and ".." not in value.split("/")):
        raise _refuse(f"has {value!r} in {where}: only a relative path inside the site is allowed")


def _named(entries: Any, allowed: frozenset[str], what: str) -> None:
    """A list of names, or one-key mappings of a name to plain options, each name allowed."""
    if not isinstance(entries, list):
        raise _refuse(f"has {what} that are not a list")
    for entry in entries:
        name = next(iter(entry)) if isinstance(entry, dict) and len(entry) == 1 else entry
        if not isinstance(name, str) or name not in allowed:
            raise _refuse(f"has the {what[:-1]} {name!r}; symcnn allows only {', '.join(sorted(allowed))}")
        if isinstance(entry, dict):
            _plain(entry[name], f"{what} {name}")


def _nav(items: Any) -> None:
    if not isinstance(items, list):
        raise _refuse("has a nav that is not a list")
    for item in items:
        if isinstance(item, dict) and len(item) == 1:
            title, target = next(iter(item.items()))
            if not isinstance(title, str):
                raise _refuse(f"has a nav title {title!r} that is not text")
            if isinstance(target, list):
                _nav(target)
            else:
                _relative_path(target, f"the nav entry {title!r}")
        else:
            _relative_path(item, "nav")


def check_mkdocs_config(text: str) -> dict[str, Any]:
    """The parsed configuration, or a SiteError naming the first setting symcnn does not write itself."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _refuse(f"is not plain YAML data ({getattr(exc, 'problem', None) or exc})") from None
    except RecursionError:
        raise _refuse("is nested too deeply") from None
    if not isinstance(config, dict):
        raise _refuse("is not a mapping of settings")
    _plain(config, "the configuration")
    unknown = sorted(str(k) for k in config if k not in _KEYS)
    if unknown:
        raise _refuse(f"sets {', '.join(unknown)}; symcnn writes only {', '.join(sorted(_KEYS))}")
    if "hooks" in config and config["hooks"] != [HOOK]:
        raise _refuse(f"has hooks {config['hooks']!r}; symcnn runs only its own hook, {HOOK}")
    theme = config.get("theme", {"name": "material"})
    if isinstance(theme, str):
        theme = {"name": theme}
    if not isinstance(theme, dict) or theme.get("name") != "material" or set(theme) - _THEME_KEYS:
        raise _refuse(f"has the theme {theme!r}; symcnn uses material with only {', '.join(sorted(_THEME_KEYS))}")
    extra = config.get("extra", {})
    if not isinstance(extra, dict) or set(extra) - _EXTRA_KEYS:
        raise _refuse(f"has extra settings {sorted(extra) if isinstance(extra, dict) else extra!r}; "
                      f"symcnn writes only {', '.join(sorted(_EXTRA_KEYS))}")
    for key, values in (("extra_css", config.get("extra_css", [])), ("extra_javascript",
                        config.get("extra_javascript", [])), ("extra polyfills", extra.get("polyfills", []))):
        if not isinstance(values, list):
            raise _refuse(f"has {key} that is not a list")
        for value in values:
            _relative_path(value, key)
    _named(config.get("plugins", []), ALLOWED_PLUGINS, "plugins")
    _named(config.get("markdown_extensions", []), ALLOWED_EXTENSIONS, "markdown extensions")
    _nav(config.get("nav", []))
    return config
