"""Compiled templates kept between processes (briefings/bytecode.py): used if this machine wrote them, else never.

Fast: each test compiles a few small templates with our real environment, in a user cache folder of its own.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import pytest
from jinja2 import Environment
from jinja2 import tests as jinja_tests
from jinja2.filters import do_lower, do_upper

from briefings import bytecode
from briefings.bytecode import FOLDER, KIND, SealedBytecodeCache
from briefings.environment import make_environment
from briefings.sealing import seal

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
    assert bytecode.signature(plain) != bytecode.signature(ours)
    assert render(plain) == "# Strike <on> Izhevsk\n\n**confirmed**"
    assert render(make_environment(templates)) == expected == "# Strike &#60;on&#62; Izhevsk\n\n**confirmed**\n"
    # Options changed after the cache was set (as a later plugin's env event may): read when loading.
    changed = make_environment(templates)
    changed.keep_trailing_newline = False
    assert render(changed) == expected.rstrip("\n")


def test_a_filter_jinja_applies_while_compiling_is_never_kept_stale(user_cache, templates):
    """Jinja applies a filter to a literal, and finalize to literal text, when it compiles: compiled code holds
    their results. A filter whose code is not in the fingerprint (a hook's lambda) keeps nothing; one of ours
    is named in the file's name."""
    (templates / "notice.md.j2").write_text('{{ "printed by the desk"|notice }}|{{ "x" is short }}|{{ "plain" }}\n')

    def env_with(notice: object, short: object, finalize: object = None) -> Environment:
        env = make_environment(templates)
        env.filters["notice"] = notice
        env.tests["short"] = short
        if finalize is not None:
            env.finalize = finalize
        return env

    first = env_with(lambda s: s.upper(), lambda s: len(s) < 3)
    assert first.get_template("notice.md.j2").render() == "PRINTED BY THE DESK|True|plain\n"
    second = env_with(lambda s: s.lower(), lambda s: len(s) > 3, lambda v: f"[{v}]")
    assert second.get_template("notice.md.j2").render() == "[printed by the desk]|[False]|[plain]\n"
    assert bytecode.signature(first) is bytecode.signature(second) is None
    assert list((user_cache / FOLDER).iterdir()) == []  # nothing kept for them

    # Callables of known code are kept under their names: other callables, another file.
    upper = env_with(do_upper, jinja_tests.test_lower)
    assert upper.get_template("notice.md.j2").render() == "PRINTED BY THE DESK|True|plain\n"
    lower = env_with(do_lower, jinja_tests.test_upper)
    assert lower.get_template("notice.md.j2").render() == "printed by the desk|False|plain\n"
    assert None not in {bytecode.signature(upper), bytecode.signature(lower)}
    assert len(list((user_cache / FOLDER).iterdir())) == 2
    again = env_with(do_upper, jinja_tests.test_lower)
    compiled = compiles(again)
    assert again.get_template("notice.md.j2").render() == "PRINTED BY THE DESK|True|plain\n"
    assert compiled == []


def test_the_folder_is_bounded_and_keeps_what_was_used_last(user_cache, templates, monkeypatch):
    monkeypatch.setattr(SealedBytecodeCache, "max_files", 6)
    folder = user_cache / FOLDER

    def age(paths: set[Path], first: int) -> None:
        for n, path in enumerate(sorted(paths)):  # long ago, in a known order
            os.utime(path, ns=(10**18 + first + n, 10**18 + first + n))

    env = make_environment(templates)
    render(env)
    age(used := set(folder.iterdir()), 0)  # page.md.j2 and macros.md.j2: the oldest files
    for n in range(4):
        (templates / f"extra-{n}.md.j2").write_text(f"extra {n}\n")
        env.get_template(f"extra-{n}.md.j2")
    age(set(folder.iterdir()) - used, 10)
    render(make_environment(templates))  # loads page.md.j2 and macros.md.j2: used now
    (templates / "extra-9.md.j2").write_text("extra 9\n")
    env.get_template("extra-9.md.j2")  # a seventh file: the least recently used go, down to half
    assert len(list(folder.iterdir())) == 3
    again = make_environment(templates)
    compiled = compiles(again)
    assert render(again) == render(env)
    assert compiled == []  # the files loaded last stayed, though written first


@pytest.mark.parametrize("thing", ["fifo", "folder", "link", "huge", "empty", "truncated"])
def test_anything_but_a_sealed_file_in_an_entrys_place_is_a_miss(user_cache, templates, tmp_path, thing):
    env = make_environment(templates)
    expected = render(env)
    cache = env.bytecode_cache
    assert isinstance(cache, SealedBytecodeCache)
    source = (templates / "page.md.j2").read_text()
    name = cache._name(cache.get_bucket(env, "page.md.j2", str(templates / "page.md.j2"), source))
    assert name is not None
    entry = user_cache / FOLDER / name
    sealed = entry.read_bytes()
    entry.unlink()
    if thing == "fifo":
        os.mkfifo(entry)
    elif thing == "folder":
        entry.mkdir()
    elif thing == "link":  # to a good copy: never followed
        (tmp_path / "copy").write_bytes(sealed)
        entry.symlink_to(tmp_path / "copy")
    elif thing == "huge":
        with entry.open("wb") as f:
            f.truncate(bytecode.MAX_BYTES + 1)
    else:
        entry.write_bytes(b"" if thing == "empty" else sealed[: len(sealed) // 2])
    fresh = make_environment(templates)
    compiled = compiles(fresh)
    assert render(fresh) == expected
    assert "page.md.j2" in compiled
    if thing == "link":
        assert (tmp_path / "copy").read_bytes() == sealed  # the write replaced the link, not its target
        assert entry.is_file() and not entry.is_symlink()


def test_a_key_or_folder_others_could_write_or_read_is_not_used(user_cache, templates):
    from briefings.sealing import machine_key

    render(make_environment(templates))
    key = user_cache / "build-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and machine_key() == key.read_bytes()
    key.chmod(0o644)  # readable by others: anyone could seal with it
    assert machine_key() is None
    fresh = make_environment(templates)
    compiled = compiles(fresh)
    render(fresh)
    assert sorted(compiled) == ["macros.md.j2", "page.md.j2"]  # no key: nothing loaded
    key.chmod(0o600)
    assert machine_key() is not None
    user_cache.chmod(0o777)  # a folder others can write: they could have put their own key there
    assert machine_key() is None
    user_cache.chmod(0o700)
    (user_cache / FOLDER).chmod(0o777)  # the same for the compiled templates
    fresh = make_environment(templates)
    compiled = compiles(fresh)
    render(fresh)
    assert sorted(compiled) == ["macros.md.j2", "page.md.j2"]


def test_a_relative_home_keeps_nothing_under_the_working_folder(tmp_path, templates, monkeypatch):
    from briefings.sealing import machine_key

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", ".")
    monkeypatch.chdir(tmp_path)
    assert machine_key() is None
    assert render(make_environment(templates)).startswith("# Strike")
    assert not (tmp_path / ".cache").exists()


def test_a_user_cache_folder_that_is_a_link_gets_no_key(user_cache, tmp_path):
    from briefings.sealing import machine_key

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    user_cache.parent.mkdir(parents=True)
    user_cache.symlink_to(elsewhere, target_is_directory=True)
    assert machine_key() is None
    assert list(elsewhere.iterdir()) == []  # no key written through the link


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
