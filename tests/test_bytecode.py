"""Compiled templates kept between processes (briefings/bytecode.py): used if this machine wrote them, else never.

Fast: each test compiles a few small templates with our real environment, in a user cache folder of its own.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from jinja2 import Environment

from briefings import bytecode
from briefings.bytecode import FOLDER, KIND, SealedBytecodeCache
from briefings.cache import seal
from briefings.environment import make_environment

TEMPLATES = {
    "page.md.j2": "{% from 'macros.md.j2' import badge %}# {{ title }}\n\n{{ badge(level) }}\n",
    "macros.md.j2": "{% macro badge(level) %}**{{ level }}**{% endmacro %}\n",
}


@pytest.fixture
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user cache folder of the test's own (the machine's key is made there too)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache" / "briefings"


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    for name, text in TEMPLATES.items():
        (folder / name).write_text(text)
    return folder


def compiles(env: Environment) -> list[str]:
    """Record the name of every template env compiles from source from now on."""
    names: list[str] = []
    real = env.compile

    def counted(source: str, name: str | None = None, filename: str | None = None, *args: object) -> object:
        names.append(str(name))
        return real(source, name, filename, *args)  # type: ignore[arg-type]

    env.compile = counted  # type: ignore[method-assign,assignment]
    return names


def render(env: Environment) -> str:
    return env.get_template("page.md.j2").render(title="Strike <on> Izhevsk", level="confirmed")


def test_a_template_is_compiled_once_per_machine_not_once_per_process(user_cache, templates):
    first = make_environment(templates)
    compiled = compiles(first)
    expected = render(first)
    assert sorted(compiled) == ["macros.md.j2", "page.md.j2"]
    assert len(list((user_cache / FOLDER).iterdir())) == 2

    second = make_environment(templates)  # a new process's environment: same templates, same options
    recompiled = compiles(second)
    assert render(second) == expected
    assert recompiled == []

    # An edited template is compiled again (Jinja checks the source's checksum); the other is not.
    (templates / "macros.md.j2").write_text("{% macro badge(level) %}*{{ level }}*{% endmacro %}\n")
    third = make_environment(templates)
    compiled = compiles(third)
    assert render(third) == expected.replace("**confirmed**", "*confirmed*")
    assert compiled == ["macros.md.j2"]


def test_a_file_this_machine_did_not_seal_is_never_loaded(user_cache, templates):
    env = make_environment(templates)
    expected = render(env)
    cache = env.bytecode_cache
    assert isinstance(cache, SealedBytecodeCache) and cache.secret is not None
    folder = user_cache / FOLDER

    # Code compiled from another source, in a bucket carrying page.md.j2's own key and checksum:
    # Jinja's own checks pass, so only the seal stands between it and the page.
    source = (templates / "page.md.j2").read_text()
    bucket = cache.get_bucket(env, "page.md.j2", str(templates / "page.md.j2"), source)
    bucket.code = env.compile("PLANTED {{ title }}", "page.md.j2", str(templates / "page.md.j2"))
    planted = bucket.bytecode_to_string()
    name = cache._name(bucket)
    other = secrets.token_bytes(32)
    for sealed in (
        planted,  # no seal at all
        seal(other, KIND, name, planted) + planted,  # another machine's key
        seal(cache.secret, "pages", name, planted) + planted,  # this key, but sealed as another kind
        seal(cache.secret, KIND, "another-name", planted) + planted,  # this key, but another file's name
    ):
        (folder / name).write_bytes(sealed)
        fresh = make_environment(templates)
        compiled = compiles(fresh)
        assert render(fresh) == expected
        assert "page.md.j2" in compiled

    # Sealed right, the same bytes are used: the seal is what decides.
    (folder / name).write_bytes(seal(cache.secret, KIND, name, planted) + planted)
    assert render(make_environment(templates)).startswith("PLANTED")


def test_options_that_change_the_compiled_code_keep_files_apart(user_cache, templates):
    ours = make_environment(templates)
    expected = render(ours)
    plain = Environment(loader=ours.loader, keep_trailing_newline=False)  # other options: other code
    bytecode.keep_compiled(plain)
    assert bytecode.options_of(plain) != bytecode.options_of(ours)
    assert render(plain) == "# Strike <on> Izhevsk\n\n**confirmed**"
    assert render(make_environment(templates)) == expected == "# Strike &#60;on&#62; Izhevsk\n\n**confirmed**\n"


def test_the_folder_is_bounded_and_keeps_what_was_used_last(user_cache, templates, monkeypatch):
    monkeypatch.setattr(SealedBytecodeCache, "max_files", 4)
    env = make_environment(templates)
    render(env)
    for n in range(12):
        (templates / f"extra-{n}.md.j2").write_text(f"extra {n}\n")
        env.get_template(f"extra-{n}.md.j2")
        assert len(list((user_cache / FOLDER).iterdir())) <= 4
    again = make_environment(templates)
    compiled = compiles(again)
    again.get_template("extra-11.md.j2")  # the last one written is still there
    assert compiled == []


def test_a_link_in_the_folders_place_is_not_used(user_cache, templates, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    user_cache.mkdir(parents=True)
    (user_cache / FOLDER).symlink_to(elsewhere, target_is_directory=True)
    env = make_environment(templates)
    assert render(env).startswith("# Strike")
    assert list(elsewhere.iterdir()) == []
    again = make_environment(templates)
    compiled = compiles(again)
    render(again)
    assert sorted(compiled) == ["macros.md.j2", "page.md.j2"]  # nothing kept anywhere: compiled again


def test_a_user_cache_folder_that_is_a_link_is_not_used(user_cache, templates, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    user_cache.parent.mkdir(parents=True)
    os.symlink(elsewhere, user_cache)
    assert render(make_environment(templates)).startswith("# Strike")
    assert not (elsewhere / FOLDER).exists()


def test_without_a_key_nothing_is_read_or_written(user_cache, templates, monkeypatch):
    monkeypatch.setattr(bytecode, "machine_key", lambda: None)
    env = make_environment(templates)
    assert render(env).startswith("# Strike")
    assert not (user_cache / FOLDER).exists()
