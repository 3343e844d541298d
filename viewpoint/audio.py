"""Read aloud: audio for every question and answer, in every language the service offers.

Children who cannot read the words (the youngest, and many who have just arrived) hear
them instead. Each text a child can hear (a question, its hint, each answer, the ends of a
scale, "I'd rather not say"), in each band and language, has one audio file, named by a
digest of its language and exact words, under ``AUDIO_DIR``:

- ``recorded/<language>/<digest>.<mp3|ogg|m4a|wav>``: recorded by a person. Always used
  when present: a person reads better than a synthesiser.
- ``generated/<language>/<digest>.mp3``: made by ``viewpoint audio build`` with espeak-ng,
  for the languages it has a voice for.

Because files are named by their words, changed wording is never read aloud with the old
words: it simply has no audio until the next build (or recording). ``viewpoint audio
script LANGUAGE`` lists the texts a language still lacks recordings for, with the file name
each recording should have.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import threading
import time
import wave
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .i18n import available_languages
from .questionnaires import Catalogue
from .questionnaires.snapshot import render

#: espeak-ng's voice for each language it can speak. Pashto, Sorani and Tigrinya have no
#: voice in any speech synthesiser Debian ships: they are read aloud only from recordings.
VOICES = {"en": "en-gb", "cy": "cy", "ur": "ur", "pa": "pa", "bn": "bn", "pl": "pl",
          "ro": "ro", "sk": "sk", "ar": "ar", "fa": "fa"}
#: Words a minute: a little slower than espeak-ng's 175, for children.
SPEED = 145
RECORDED_TYPES = (".mp3", ".ogg", ".m4a", ".wav")
_RESCAN_SECONDS = 30.0


def digest(language: str, text: str) -> str:
    """The file name (without extension) of ``text`` read aloud in ``language``."""
    return hashlib.sha256(f"{language}\n{' '.join(text.split())}".encode()).hexdigest()[:24]


def audio_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    configured = app.config.get("AUDIO_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "audio"


def spoken_texts(catalogue: Catalogue, language: str) -> list[str]:
    """Every text a child can hear in ``language``, each once, in questionnaire order.

    Raises ``RuntimeError`` outside an application context (translations need the app).
    """
    seen: dict[str, None] = {}
    with force_locale(language):
        rather_not_say = _("I'd rather not say")
        for questionnaire in catalogue.questionnaires.values():
            for band in questionnaire.bands:
                content = render(questionnaire, band, language)
                for question in content["questions"]:
                    pieces = [question["text"], question["hint"],
                              *(option["text"] for option in question["options"])]
                    scale = question.get("scale")
                    if scale:
                        pieces += [scale["low"], scale["high"]]
                    for piece in pieces:
                        if piece and piece["text"].strip():
                            seen.setdefault(piece["text"], None)
                    if question["rather_not_say"]:
                        seen.setdefault(rather_not_say, None)
    return list(seen)


def _files_in(folder: Path, suffixes: tuple[str, ...]) -> dict[str, str]:
    """Digest -> file name, for the audio files in ``folder`` (none if it does not exist)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return {}
    return {name.rsplit(".", 1)[0]: name for name in names
            if name.endswith(suffixes) and not name.startswith(".")}


@dataclass
class _Shelf:
    """What audio one language has: digests to file names, read from the folders."""

    recorded: dict[str, str] = field(default_factory=dict)
    generated: dict[str, str] = field(default_factory=dict)
    stamp: tuple[float, float] = (0.0, 0.0)


class AudioLibrary:
    """Which texts have audio, found by listing the folders (again when they change)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._shelves: dict[str, _Shelf] = {}
        self._checked: dict[str, float] = {}
        self._lock = threading.Lock()
        #: Changes whenever a folder's contents change, so cached pages are rebuilt.
        self.version = 0

    @staticmethod
    def _mtime(folder: Path) -> float:
        try:
            return folder.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def _shelf(self, language: str) -> _Shelf:
        now = time.monotonic()
        shelf = self._shelves.get(language)
        if shelf is not None and now - self._checked.get(language, 0.0) < _RESCAN_SECONDS:
            return shelf
        with self._lock:
            recorded, generated = (self.root / "recorded" / language,
                                   self.root / "generated" / language)
            stamp = (self._mtime(recorded), self._mtime(generated))
            if shelf is None or stamp != shelf.stamp:
                shelf = _Shelf(_files_in(recorded, RECORDED_TYPES),
                               _files_in(generated, (".mp3",)), stamp)
                self._shelves[language] = shelf
                self.version += 1
            self._checked[language] = now
        return shelf

    def file_for(self, language: str, text: str) -> str | None:
        """The path (under the audio folder) of ``text`` read aloud, or None."""
        shelf = self._shelf(language)
        key = digest(language, text)
        if key in shelf.recorded:
            return f"recorded/{language}/{shelf.recorded[key]}"
        if key in shelf.generated:
            return f"generated/{language}/{shelf.generated[key]}"
        return None

    def has_language(self, language: str) -> bool:
        """Whether any text in ``language`` can be heard from a file."""
        shelf = self._shelf(language)
        return bool(shelf.recorded or shelf.generated)

    def current_version(self, language: str) -> int:
        self._shelf(language)
        return self.version


def library(app: Flask | None = None) -> AudioLibrary:
    app = app or current_app
    found = app.extensions.get("viewpoint.audio")
    if found is None:
        found = app.extensions["viewpoint.audio"] = AudioLibrary(audio_dir(app))
    return found


# --- making audio ---

class SynthesiserMissing(RuntimeError):
    """Raised when espeak-ng is not installed."""


def espeak() -> str:
    """The espeak-ng program. Raises :class:`SynthesiserMissing` if it is not installed."""
    found = shutil.which("espeak-ng")
    if found is None:
        raise SynthesiserMissing("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
    return found


def synthesise(program: str, voice: str, text: str) -> bytes:
    """``text`` spoken by espeak-ng's ``voice``, as an MP3 file's bytes.

    Raises ``subprocess.CalledProcessError`` if espeak-ng fails.
    """
    import lameenc

    # No shell; the words are one argument after "--", so they are never read as options.
    spoken = subprocess.run(  # noqa: S603
        [program, "-v", voice, "-s", str(SPEED), "--stdout", "--", text],
        capture_output=True, check=True, timeout=120).stdout
    with wave.open(io.BytesIO(spoken)) as pcm:
        channels, rate, frames = pcm.getnchannels(), pcm.getframerate(), pcm.readframes(
            pcm.getnframes())
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)  # speech, mono: small enough for a slow connection
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(channels)
    encoder.set_quality(2)
    return bytes(encoder.encode(frames) + encoder.flush())


@dataclass
class BuildReport:
    """What one ``viewpoint audio build`` did, per language."""

    made: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    recorded: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    #: Languages no synthesiser speaks, with how many texts still have no recording.
    no_voice: dict[str, int] = field(default_factory=dict)


def _write(path: Path, data: bytes) -> None:
    # Written beside and renamed, so that a page never links to half a file.
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data)
    partial.replace(path)


def build(app: Flask, languages: Iterable[str] | None = None, *, force: bool = False,
          workers: int | None = None, log: object = None) -> BuildReport:
    """Generate audio for every text a child can hear in each language with a voice, into
    ``AUDIO_DIR/generated``. Texts with a recording are skipped; files made for words no
    longer used are removed. Existing files are kept unless ``force``.

    Raises :class:`SynthesiserMissing` if espeak-ng is not installed.
    """
    program = espeak()
    catalogue: Catalogue = app.extensions["viewpoint.questionnaires"]
    root = audio_dir(app)
    report = BuildReport()
    chosen = list(languages or available_languages())
    with app.app_context():
        texts = {language: spoken_texts(catalogue, language) for language in chosen}
    jobs: list[tuple[str, str, Path]] = []
    for language in chosen:
        recordings = _files_in(root / "recorded" / language, RECORDED_TYPES)
        wanted = {digest(language, text): text for text in texts[language]}
        report.recorded[language] = sum(1 for key in wanted if key in recordings)
        voice = VOICES.get(language)
        if voice is None:
            report.no_voice[language] = len(wanted) - report.recorded[language]
            continue
        folder = root / "generated" / language
        folder.mkdir(parents=True, exist_ok=True)
        made_before = _files_in(folder, (".mp3",))
        for stale in set(made_before) - set(wanted):
            (folder / made_before[stale]).unlink(missing_ok=True)
        report.removed[language] = len(set(made_before) - set(wanted))
        kept = 0
        for key, text in wanted.items():
            target = folder / f"{key}.mp3"
            if key in recordings:
                continue
            if target.exists() and not force:
                kept += 1
                continue
            jobs.append((voice, text, target))
        report.kept[language] = kept
        report.made[language] = 0

    def make(job: tuple[str, str, Path]) -> str:
        voice, text, target = job
        _write(target, synthesise(program, voice, text))
        return target.parent.name

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        for language in pool.map(make, jobs):
            report.made[language] += 1
            if callable(log) and sum(report.made.values()) % 200 == 0:
                log(f"... {sum(report.made.values())} of {len(jobs)} made")
    return report


def missing_recordings(app: Flask, language: str) -> Iterator[tuple[str, str]]:
    """(file name, text) for each text in ``language`` nobody has recorded yet."""
    catalogue: Catalogue = app.extensions["viewpoint.questionnaires"]
    recordings = _files_in(audio_dir(app) / "recorded" / language, RECORDED_TYPES)
    with app.app_context():
        texts = spoken_texts(catalogue, language)
    for text in texts:
        key = digest(language, text)
        if key not in recordings:
            yield f"{key}.mp3", text
