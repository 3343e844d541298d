"""The speech synthesiser: every language but Pashto and Sorani is read aloud, Tigrinya
included; audio is made on first need, kept only when it may be, and never by more than a
few requests at once. Real synthesis throughout: calls are counted, never faked."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask

from tests.support import make_config
from viewpoint import audio, create_app
from viewpoint.audio import (
    SYNTHESIS_SLOTS,
    VOICES,
    SynthesiserBusy,
    digest,
    has_voice,
    library,
    make_now,
    synthesise,
)
from viewpoint.i18n import CHILD_LANGUAGES

HELLO_TI = "ሰላም! ከመይ ኣለኻ?"  # "Hello! How are you?"


def is_mp3(data: bytes) -> bool:
    """Bare MPEG audio frames, as the encoder writes them: each frame starts with eleven set
    bits (the frame sync), then the version and layer (here Layer III)."""
    return len(data) > 200 and data[0] == 0xFF and data[1] & 0xE6 == 0xE2


def frames(data: bytes) -> int:
    return data.count(data[:2])


@pytest.fixture()
def app(tmp_path: Path) -> Flask:
    """The app with an empty audio folder of its own (no database is needed)."""
    return create_app(make_config(f"sqlite:///{tmp_path / 'unused.sqlite3'}",
                                  tmp_path / "instance", AUDIO_DIR=str(tmp_path / "audio")))


def files_in(app: Flask) -> list[Path]:
    return sorted(p for p in Path(app.config["AUDIO_DIR"]).rglob("*") if p.is_file())


class Counted:
    """The real synthesiser, wrapped to count its calls and how many run at once."""

    def __init__(self, hold: Callable[[], None] = lambda: None) -> None:
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self._hold = hold
        self._lock = threading.Lock()

    def __call__(self, voice: str, text: str, **_ignored: object) -> bytes:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            self._hold()
            return synthesise(voice, text)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> Counted:
    wrapped = Counted()
    monkeypatch.setattr(audio, "synthesise", wrapped)
    return wrapped


def test_tigrinya_words_are_read_aloud_as_an_mp3() -> None:
    assert has_voice("ti")
    spoken = synthesise(VOICES["ti"], HELLO_TI)
    assert is_mp3(spoken)
    assert frames(spoken) > 20  # about half a second at least: words, not a click


def test_every_language_a_child_can_choose_has_a_voice_but_pashto_and_sorani() -> None:
    assert [code for code in CHILD_LANGUAGES if not has_voice(code)] == ["ps", "ckb"]
    assert not has_voice("xx")


def test_texts_spoken_on_many_threads_at_once_each_get_their_own_sound() -> None:
    texts = [("ti", HELLO_TI), ("en", "Do you feel safe at home, and at school?"),
             ("pl", "Tak"), ("ar", "شكرا لك"), ("cy", "Diolch yn fawr iawn i chi gyd")] * 2
    alone = [synthesise(VOICES[language], text) for language, text in texts]
    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        together = list(pool.map(lambda job: synthesise(VOICES[job[0]], job[1]), texts))
    # The synthesiser varies a little from one reading to the next; sound from another
    # text mixed in (or lost) would change a file's length by far more.
    for one, other in zip(alone, together, strict=True):
        assert is_mp3(other)
        assert abs(len(other) - len(one)) <= 0.05 * len(one)


def test_speaking_that_takes_too_long_is_stopped_and_the_voice_still_works_after() -> None:
    with pytest.raises(SynthesiserBusy):
        synthesise(VOICES["en"], "How are you feeling this week? " * 40, timeout=0)
    assert is_mp3(synthesise(VOICES["en"], "Thank you"))


def test_audio_made_on_first_need_is_kept_and_the_next_request_reads_the_file(
        app: Flask, counted: Counted) -> None:
    first = make_now(app, "ti", HELLO_TI, keep=True)
    assert first is not None and is_mp3(first)
    kept = Path(app.config["AUDIO_DIR"]) / "pages" / "ti" / f"{digest('ti', HELLO_TI)}.mp3"
    assert files_in(app) == [kept]
    assert kept.read_bytes() == first
    # Pages link to the file at once, not after the next look at the folder.
    assert library(app).file_for("ti", HELLO_TI) == f"pages/ti/{kept.name}"

    assert make_now(app, "ti", HELLO_TI, keep=True) == first
    assert counted.calls == 1


def test_words_with_a_name_in_them_are_never_written_down(app: Flask,
                                                          counted: Counted) -> None:
    words = "Amira, ሰላም!"
    for _ in range(2):
        spoken = make_now(app, "ti", words, keep=False)
        assert spoken is not None and is_mp3(spoken)
    assert files_in(app) == []
    assert counted.calls == 2
    assert library(app).file_for("ti", words) is None


def test_a_language_no_voice_speaks_gets_nothing_and_nothing_is_written(
        app: Flask, counted: Counted) -> None:
    assert make_now(app, "ps", "سلام", keep=True) is None
    assert make_now(app, "ckb", "سڵاو", keep=True) is None
    assert make_now(app, "xx", "Hello", keep=True) is None
    assert make_now(app, "ti", "   ", keep=True) is None
    assert files_in(app) == []
    assert counted.calls == 0


def test_a_recording_is_used_rather_than_made(app: Flask, counted: Counted) -> None:
    recording = (Path(app.config["AUDIO_DIR"]) / "recorded" / "ti"
                 / f"{digest('ti', HELLO_TI)}.ogg")
    recording.parent.mkdir(parents=True)
    recording.write_bytes(b"OggS recorded by a person")
    assert make_now(app, "ti", HELLO_TI, keep=True) == b"OggS recorded by a person"
    assert counted.calls == 0


def test_no_more_texts_are_made_at_once_than_there_are_slots(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = Counted(hold=lambda: time.sleep(0.2))  # long enough for every thread to arrive
    monkeypatch.setattr(audio, "synthesise", slow)
    texts = [f"ሰላም {number}" for number in range(SYNTHESIS_SLOTS * 3)]
    start = threading.Barrier(len(texts))

    def ask(text: str) -> bytes | None:
        start.wait()
        return make_now(app, "ti", text, keep=True)

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        spoken = list(pool.map(ask, texts))
    assert all(data is not None and is_mp3(data) for data in spoken)
    assert slow.calls == len(texts)
    assert slow.most_at_once == SYNTHESIS_SLOTS
    assert len(files_in(app)) == len(texts)


def test_a_flood_of_requests_gives_up_with_a_clear_error_rather_than_waiting_forever(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    stuck = Counted(hold=lambda: release.wait(30))
    monkeypatch.setattr(audio, "synthesise", stuck)
    monkeypatch.setattr(audio, "SYNTHESIS_TIMEOUT", 0.5)
    with ThreadPoolExecutor(max_workers=SYNTHESIS_SLOTS) as pool:
        busy = [pool.submit(make_now, app, "ti", f"ሰላም {n}", keep=False)
                for n in range(SYNTHESIS_SLOTS)]
        try:
            deadline = time.monotonic() + 10
            while stuck.running < SYNTHESIS_SLOTS and time.monotonic() < deadline:
                time.sleep(0.01)
            asked = time.monotonic()
            with pytest.raises(SynthesiserBusy, match="being made already"):
                make_now(app, "ti", HELLO_TI, keep=True)
            assert time.monotonic() - asked < 5
        finally:
            release.set()
        assert all(is_mp3(future.result() or b"") for future in busy)
    assert files_in(app) == []
