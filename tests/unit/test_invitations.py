"""Access codes: easy to read aloud and type, impossible to guess, never stored."""

from __future__ import annotations

import re

from viewpoint.operations.invitations import (
    CODE_ALPHABET,
    generate_code,
    hash_code,
    looks_like_a_code,
    normalise_code,
)


def test_codes_have_no_look_alike_characters() -> None:
    for ambiguous in "0O1IL2Z5S6G8B":
        assert ambiguous not in CODE_ALPHABET
    for _ in range(200):
        code = generate_code()
        group = rf"[{CODE_ALPHABET}]{{3}}"
        assert re.fullmatch(rf"{group}-{group}-{group}",
                            code)


def test_codes_are_not_repeated() -> None:
    assert len({generate_code() for _ in range(2000)}) == 2000


def test_case_spaces_and_dashes_do_not_matter() -> None:
    assert normalise_code(" kpt 4hx-9ra\n") == "KPT4HX9RA"
    assert looks_like_a_code("kpt–4hx 9ra".replace("–", "-"))
    assert not looks_like_a_code("KPT-4HX")  # too short
    assert not looks_like_a_code("KPT-4HX-9R0")  # 0 is never in a code


def test_only_a_keyed_hash_is_stored() -> None:
    code = "KPT-4HX-9RA"
    digest = hash_code(code, secret="s" * 40)
    assert digest == hash_code("kpt4hx9ra", secret="s" * 40)
    assert "KPT" not in digest and len(digest) == 64
    assert digest != hash_code(code, secret="t" * 40)
