"""`viewpoint audio build`: Tigrinya is built like every other voiced language, files made on
first need count as made, and languages without a voice are listed, not built."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.support import make_config
from tests.unit.test_speech_engine import is_mp3
from viewpoint import create_app
from viewpoint.audio import AudioLibrary, digest, make_now, spoken_texts


@pytest.fixture()
def app(tmp_path: Path) -> Flask:
    return create_app(make_config(f"sqlite:///{tmp_path / 'unused.sqlite3'}",
                                  tmp_path / "instance", AUDIO_DIR=str(tmp_path / "audio")))


def texts(app: Flask, language: str) -> list[str]:
    with app.app_context():
        return spoken_texts(app.extensions["viewpoint.questionnaires"], language)


def record_all_but(app: Flask, language: str, left: int) -> list[str]:
    """Stand-in recordings for all but the last ``left`` texts (which the build then makes,
    keeping the test quick); returns the texts left."""
    every = texts(app, language)
    folder = Path(app.config["AUDIO_DIR"]) / "recorded" / language
    folder.mkdir(parents=True)
    for text in every[:-left]:
        (folder / f"{digest(language, text)}.ogg").write_bytes(b"OggS")
    return every[-left:]


def test_build_makes_tigrinya_audio_and_counts_files_made_on_first_need(app: Flask) -> None:
    left = record_all_but(app, "ti", 4)
    recorded = len(texts(app, "ti")) - 4
    made_on_a_page = make_now(app, "ti", left[0], keep=True)

    built = app.test_cli_runner().invoke(args=["audio", "build", "--language", "ti"])

    assert built.exit_code == 0, built.output
    assert (f"ti: 3 made, 1 already there, {recorded} recorded by people, 0 old files removed"
            in built.output)
    folder = Path(app.config["AUDIO_DIR"]) / "generated" / "ti"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{digest('ti', text)}.mp3" for text in left)
    assert (folder / f"{digest('ti', left[0])}.mp3").read_bytes() == made_on_a_page
    assert all(is_mp3(path.read_bytes()) for path in folder.iterdir())

    again = app.test_cli_runner().invoke(args=["audio", "build", "--language", "ti"])
    assert again.exit_code == 0, again.output
    assert "ti: 0 made, 4 already there" in again.output


def test_a_page_words_made_on_first_need_outlive_the_next_build(app: Flask) -> None:
    """The build removes files of words no questionnaire asks any more; a page's own words
    (the welcome, a button) are in no questionnaire and must not go with them."""
    record_all_but(app, "ti", 1)
    page_words = "ሰላም"  # "hello": a greeting on a page, not a question
    made = make_now(app, "ti", page_words, keep=True)
    assert made is not None

    built = app.test_cli_runner().invoke(args=["audio", "build", "--language", "ti"])

    assert built.exit_code == 0, built.output
    assert "ti: 1 made, 0 already there" in built.output
    fresh = AudioLibrary(Path(app.config["AUDIO_DIR"]))  # as the app finds them next time
    found = fresh.file_for("ti", page_words)
    assert found is not None and found.startswith("pages/ti/")
    assert (Path(app.config["AUDIO_DIR"]) / found).read_bytes() == made


def test_build_lists_pashto_and_sorani_as_needing_recordings_and_makes_nothing(
        app: Flask) -> None:
    built = app.test_cli_runner().invoke(
        args=["audio", "build", "--language", "ps", "--language", "ckb"])
    assert built.exit_code == 0, built.output
    for language in ("ps", "ckb"):
        assert (f"{language}: no synthesiser voice; 0 texts recorded, "
                f"{len(texts(app, language))} still to record") in built.output
    assert not (Path(app.config["AUDIO_DIR"]) / "generated").exists()
