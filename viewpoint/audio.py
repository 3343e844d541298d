"""Read aloud: audio for every question and answer, in every language the service offers.

Children who cannot read the words (the youngest, and many who have just arrived) hear
them instead. Each text a child can hear (a question, its hint, each answer, the ends of a
scale, "I'd rather not say"), in each band and language, has one audio file, named by a
digest of its language and exact words, in the audio store (``AUDIO_STORE``: the folder
``AUDIO_DIR``, or an S3 bucket every app server reaches; see :mod:`viewpoint.storage`):

- ``recorded/<language>/<digest>.<mp3|ogg|m4a|wav|webm>``: recorded by a person (copied
  in, or recorded on the authors' page: see :func:`save_recording`). Always used
  when present: a person reads better than a synthesiser.
- ``generated/<language>/<digest>.mp3``: made with the espeak-ng speech synthesiser, for
  the languages it has a voice for, by ``viewpoint audio build``, which removes the files
  of words no longer asked.
- ``pages/<language>/<digest>.mp3``: made by :func:`make_now` when a page needs words read
  aloud that have no file yet (the welcome, the buttons, the help, or a question the build
  has not reached). The build never removes these: it does not know a page's words.

Because files are named by their words, changed wording is never read aloud with the old
words: it simply has no audio until the next build (or recording). ``viewpoint audio
script LANGUAGE`` lists the texts a language still lacks recordings for, with the file name
each recording should have.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from .i18n import available_languages
from .questionnaires import Catalogue
from .questionnaires.library import served
from .questionnaires.snapshot import render
from .storage import FolderStore, Store, StoreUnavailable, open_store

log = logging.getLogger(__name__)

#: espeak-ng's voice for each language it can speak ("en" is its British English). Pashto and
#: Sorani have no voice in any speech synthesiser we can ship: they are read aloud only from
#: recordings.
VOICES = {"en": "en", "cy": "cy", "ur": "ur", "pa": "pa", "bn": "bn", "pl": "pl",
          "ro": "ro", "sk": "sk", "ar": "ar", "fa": "fa", "ti": "ti"}
#: Words a minute: a little slower than espeak-ng's 175, for children.
SPEED = 145
#: How many texts one process makes at once for pages (:func:`make_now`): about one per CPU,
#: so a flood of requests for audio nobody has made yet queues instead of taking the machine.
SYNTHESIS_SLOTS = os.cpu_count() or 2
#: Seconds a page's request waits for audio (a free slot, the synthesiser, the speaking)
#: before :func:`make_now` gives up.
SYNTHESIS_TIMEOUT = 20.0
#: The kinds of file audio is kept in, by extension, with the type each is served as.
AUDIO_TYPES = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".m4a": "audio/mp4",
               ".wav": "audio/wav", ".webm": "audio/webm"}
RECORDED_TYPES = tuple(AUDIO_TYPES)
#: The largest recording taken (the largest request the app takes; minutes of speech).
RECORDING_MAX_BYTES = 2 * 1024 * 1024
#: How often a process looks again at what audio there is: the folders' change stamps, or
#: (a store with none, such as S3) the whole listing.
_RESCAN_SECONDS = 30.0


def digest(language: str, text: str) -> str:
    """The file name (without extension) of ``text`` read aloud in ``language``."""
    return hashlib.sha256(f"{language}\n{' '.join(text.split())}".encode()).hexdigest()[:24]


def audio_dir(app: Flask | None = None) -> Path:
    """The folder ``AUDIO_DIR`` (default ``audio/`` in the instance folder): the audio store
    unless ``AUDIO_STORE`` names an S3 bucket, when it is not used."""
    app = app or current_app
    configured = app.config.get("AUDIO_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "audio"


def audio_store(app: Flask | None = None) -> Store:
    """Where this app keeps its audio (see :mod:`viewpoint.storage`), made once per app.

    Raises ``ValueError`` if ``AUDIO_STORE`` is not a store (the app refuses to start with
    one, so only an app built around its checks sees it).
    """
    app = app or current_app
    found: Store | None = app.extensions.get("viewpoint.audio_store")
    if found is None:
        found = app.extensions["viewpoint.audio_store"] = open_store(
            app.config.get("AUDIO_STORE"), audio_dir(app),
            endpoint=app.config.get("AUDIO_S3_ENDPOINT"), region=app.config.get("AUDIO_S3_REGION"))
    return found


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


def _files_in(store: Store, folder: str, suffixes: tuple[str, ...]) -> dict[str, str]:
    """Digest -> file name, for the audio files in the store's ``folder`` (none if it has
    none). Raises :class:`~viewpoint.storage.StoreUnavailable` if the store cannot be
    reached."""
    return {name.rsplit(".", 1)[0]: name for name in store.list_folder(folder)
            if name.endswith(suffixes) and not name.startswith(".")}


@dataclass
class _Shelf:
    """What audio one language has: digests to file names, read from the store's folders."""

    recorded: dict[str, str] = field(default_factory=dict)
    generated: dict[str, str] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)
    #: The folders' change stamps when they were listed (None: the store has none).
    stamp: tuple[float | None, ...] | None = None

    def same_files(self, other: _Shelf) -> bool:
        return (self.recorded, self.generated, self.pages) == (
            other.recorded, other.generated, other.pages)


class AudioLibrary:
    """Which texts have audio, found by listing the store's folders: again when their
    change stamps change, or (a store with no stamps, such as S3) every
    :data:`_RESCAN_SECONDS`.

    A store that cannot be reached is logged and taken as unchanged (or, before it was
    ever listed, as holding nothing): pages are then shown without audio links, and the
    tablet's own voice reads them, rather than failing.
    """

    def __init__(self, store: Store | Path) -> None:
        self.store = store if isinstance(store, Store) else FolderStore(store)
        self._shelves: dict[str, _Shelf] = {}
        self._checked: dict[str, float] = {}
        self._lock = threading.Lock()
        #: Changes whenever a folder's contents change, so cached pages are rebuilt.
        self.version = 0

    def _shelf(self, language: str) -> _Shelf:
        shelf = self._shelves.get(language)
        if shelf is not None and self._fresh(language):
            return shelf
        with self._lock:
            shelf = self._shelves.get(language)
            if shelf is not None and self._fresh(language):
                return shelf  # listed by the request this one waited for
            folders = tuple(f"{kind}/{language}" for kind in ("recorded", "generated", "pages"))
            try:
                stamp = tuple(self.store.stamp(folder) for folder in folders)
                if shelf is None or None in stamp or stamp != shelf.stamp:
                    listed = _Shelf(_files_in(self.store, folders[0], RECORDED_TYPES),
                                    _files_in(self.store, folders[1], (".mp3",)),
                                    _files_in(self.store, folders[2], (".mp3",)), stamp)
                    if shelf is None or not listed.same_files(shelf):
                        self.version += 1
                    shelf = self._shelves[language] = listed
            except StoreUnavailable as exc:
                # Asked again only after the usual wait: each try may take seconds.
                log.warning("read-aloud audio in %s not listed: %s", language, exc)
                if shelf is None:
                    shelf = self._shelves[language] = _Shelf()
            self._checked[language] = time.monotonic()
        return shelf

    def _fresh(self, language: str) -> bool:
        return time.monotonic() - self._checked.get(language, -_RESCAN_SECONDS) < _RESCAN_SECONDS

    def file_for(self, language: str, text: str) -> str | None:
        """The key (in the audio store) of ``text`` read aloud, or None."""
        shelf = self._shelf(language)
        key = digest(language, text)
        if key in shelf.recorded:
            return f"recorded/{language}/{shelf.recorded[key]}"
        if key in shelf.generated:
            return f"generated/{language}/{shelf.generated[key]}"
        if key in shelf.pages:
            return f"pages/{language}/{shelf.pages[key]}"
        return None

    def add_made(self, language: str, name: str) -> None:
        """Note a file this process has just written to ``pages/<language>/``, so pages
        link to it at once rather than after the next look at the folder (which, on a
        filesystem that keeps times to the second, might not even see it change)."""
        key = name.rsplit(".", 1)[0]
        with self._lock:
            shelf = self._shelves.get(language)
            if shelf is None or shelf.pages.get(key) == name:
                return  # not listed yet (it will be, with this file), or already there
            # A new shelf rather than a changed one: readers look without the lock.
            self._shelves[language] = _Shelf(shelf.recorded, shelf.generated,
                                             {**shelf.pages, key: name}, shelf.stamp)
            self.version += 1

    def add_recorded(self, language: str, key: str, name: str | None) -> None:
        """Note a recording this process has just saved (``name``) or removed (None), so
        pages use it at once rather than after the next look at the folder."""
        with self._lock:
            shelf = self._shelves.get(language)
            if shelf is None:
                return  # not listed yet: it will be, as it is now
            recorded = {k: v for k, v in shelf.recorded.items() if k != key}
            if name is not None:
                recorded[key] = name
            self._shelves[language] = _Shelf(recorded, shelf.generated, shelf.pages,
                                             shelf.stamp)
            self.version += 1

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
        found = app.extensions["viewpoint.audio"] = AudioLibrary(audio_store(app))
    return found


# --- recordings made on a page ---

class NotARecording(ValueError):
    """Raised for a file that is not a recording in a kind browsers play."""


def recording_type(data: bytes) -> str | None:
    """The file extension for a recording's bytes (by their first bytes, never by what the
    sender says they are), or None for anything else."""
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return ".webm"  # Matroska/WebM: Chromium's and Firefox's MediaRecorder
    if data.startswith(b"OggS"):
        return ".ogg"
    if data[4:8] == b"ftyp":
        return ".m4a"  # MP4: Safari's MediaRecorder, and phones' voice recorders
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return ".wav"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return ".mp3"
    return None


def _recordings(app: Flask, language: str) -> dict[str, str]:
    """Digest -> file name of every recording in ``language``, listed once per request (a
    page of texts asks about each of them) and afresh for the next one, whichever server
    made the recordings."""
    if not (has_app_context() and current_app._get_current_object() is app):  # type: ignore[attr-defined]
        return _files_in(audio_store(app), f"recorded/{language}", RECORDED_TYPES)
    listed: dict[str, dict[str, str]] = g.setdefault("viewpoint_recordings", {})
    if language not in listed:
        listed[language] = _files_in(audio_store(app), f"recorded/{language}", RECORDED_TYPES)
    return listed[language]


def _forget_recordings(app: Flask, language: str) -> None:
    if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
        g.get("viewpoint_recordings", {}).pop(language, None)


def recording_for(app: Flask, language: str, text: str) -> str | None:
    """The file name of a person's recording of ``text`` in ``language``, or None.

    Raises :class:`~viewpoint.storage.StoreUnavailable` if the audio store cannot be reached.
    """
    key = digest(language, " ".join(text.split()))
    return _recordings(app, language).get(key)


def save_recording(app: Flask, language: str, text: str, data: bytes) -> str:
    """Keep a person's recording of ``text`` in ``language`` as its audio from now on (it is
    used before any generated file); one recorded earlier is replaced. Returns the file's
    name. Raises :class:`NotARecording` for empty, oversized or unknown files, and
    :class:`~viewpoint.storage.StoreUnavailable` if the audio store cannot be reached."""
    if not data or len(data) > RECORDING_MAX_BYTES:
        raise NotARecording("empty or too large")
    extension = recording_type(data)
    if extension is None:
        raise NotARecording("not a recording in a kind browsers play")
    key = digest(language, " ".join(text.split()))
    store, folder = audio_store(app), f"recorded/{language}"
    name = f"{key}{extension}"
    store.write(f"{folder}/{name}", data)
    for other in RECORDED_TYPES:
        if other != extension:
            store.remove(f"{folder}/{key}{other}")
    _forget_recordings(app, language)
    library(app).add_recorded(language, key, name)
    return name


def remove_recording(app: Flask, language: str, text: str) -> bool:
    """Remove the recording of ``text`` in ``language``; whether there was one. Raises
    :class:`~viewpoint.storage.StoreUnavailable` if the audio store cannot be reached."""
    key = digest(language, " ".join(text.split()))
    store, folder = audio_store(app), f"recorded/{language}"
    there = [name for name in store.list_folder(folder)
             if name.rsplit(".", 1)[0] == key and name.endswith(RECORDED_TYPES)]
    for name in there:
        store.remove(f"{folder}/{name}")
    _forget_recordings(app, language)
    library(app).add_recorded(language, key, None)
    return bool(there)


# --- making audio ---

class SynthesiserMissing(RuntimeError):
    """Raised when the speech synthesiser cannot be loaded on this machine."""


class SynthesisFailed(RuntimeError):
    """Raised when the synthesiser does not speak a text (no such voice, or no sound)."""


class SynthesiserBusy(TimeoutError):
    """Raised when audio is not made within the time allowed: the synthesiser is busy."""


# What we use of libespeak-ng's C interface (speak_lib.h).
_SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS: espeak_Synth returns once the sound is made
_DONT_EXIT = 0x8000  # espeakINITIALIZE_DONT_EXIT: fail, rather than exit, without its data
# Milliseconds of sound handed over at a time. Long pieces: each one waits for Python's
# interpreter lock, which another thread (encoding, serving) may hold for milliseconds.
_PIECE_MS = 2000
_RATE = 1  # espeakRATE
_BY_CHARACTER = 1  # POS_CHARACTER
_UTF8, _END_PAUSE = 0x1, 0x1000  # espeakCHARS_UTF8, espeakENDPAUSE
_SOUND_RECEIVER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                   ctypes.c_void_p)


class _Engine:
    """libespeak-ng from the espeakng-loader package, which brings its own copy of the
    library and its voices: nothing needs installing outside the virtual environment.

    The library keeps the voice, the speed and the sound being made in global state, so a
    process speaks one text at a time: :meth:`speak` holds a lock throughout.
    """

    def __init__(self) -> None:
        try:
            import espeakng_loader

            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data = espeakng_loader.get_data_path()
        except (ImportError, OSError, RuntimeError) as exc:
            raise SynthesiserMissing(
                f"the speech synthesiser cannot be loaded ({exc}): the espeakng-loader "
                "package is not installed, or has no build for this machine") from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_SOUND_RECEIVER]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint,
                                     ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                     ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Synchronize.argtypes = []
        #: Samples a second, 16-bit, one channel.
        self.rate: int = lib.espeak_Initialize(_SYNCHRONOUS, _PIECE_MS, data.encode(), _DONT_EXIT)
        if self.rate <= 0:
            raise SynthesiserMissing(f"the speech synthesiser has no voices in {data}")
        self._lib = lib
        self._lock = threading.Lock()
        self._sound: list[bytes] = []
        self._deadline = 0.0
        self._late = False
        # Kept on the object: the library holds only a pointer to it.
        self._receiver = _SOUND_RECEIVER(self._receive)
        lib.espeak_SetSynthCallback(self._receiver)

    def _receive(self, samples: Any, count: int, _events: Any) -> int:
        # Called by the library while it speaks, once for each piece of sound it has made.
        if samples and count > 0:
            self._sound.append(ctypes.string_at(samples, count * 2))
        if time.monotonic() > self._deadline:
            self._late = True
            return 1  # stop speaking
        return 0

    def speak(self, voice: str, text: str, deadline: float) -> bytes:
        """``text`` spoken by ``voice`` as 16-bit samples, one channel, ``rate`` a second.

        Raises :class:`SynthesiserBusy` if it is not done by ``deadline`` (on the
        ``time.monotonic`` clock), :class:`SynthesisFailed` if the voice is unknown or the
        library reports an error.
        """
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise SynthesiserBusy("the speech synthesiser is busy with other texts")
        try:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SynthesisFailed(f"espeak-ng has no voice {voice!r}")
            self._lib.espeak_SetParameter(_RATE, SPEED, 0)
            self._sound, self._deadline, self._late = [], deadline, False
            words = text.replace("\0", " ").encode()
            status = self._lib.espeak_Synth(words, len(words) + 1, 0, _BY_CHARACTER, 0,
                                            _UTF8 | _END_PAUSE, None, None)
            self._lib.espeak_Synchronize()
            if self._late:
                raise SynthesiserBusy("the speech synthesiser took too long over a text")
            if status != 0:
                raise SynthesisFailed(f"espeak-ng could not speak a text (error {status})")
            return b"".join(self._sound)
        finally:
            self._sound = []
            self._lock.release()


_loading = threading.Lock()
_engine: _Engine | None = None
_engine_missing: str | None = None


def _synthesiser() -> _Engine:
    """This process's synthesiser, loaded the first time it is needed.

    Raises :class:`SynthesiserMissing` if it cannot be loaded.
    """
    global _engine, _engine_missing
    if _engine is None:
        with _loading:  # one engine only: a second would take over the first one's library
            if _engine is None and _engine_missing is None:
                try:
                    _engine = _Engine()
                except SynthesiserMissing as exc:
                    _engine_missing = str(exc)
    if _engine is None:
        raise SynthesiserMissing(_engine_missing)
    return _engine


def has_voice(language: str) -> bool:
    """Whether the synthesiser speaks ``language`` on this machine."""
    if language not in VOICES:
        return False
    try:
        _synthesiser()
    except SynthesiserMissing:
        return False
    return True


def synthesise(voice: str, text: str, *, timeout: float = 120.0) -> bytes:
    """``text`` spoken by espeak-ng's ``voice``, as an MP3 file's bytes.

    Raises :class:`SynthesiserMissing` if the synthesiser cannot be loaded,
    :class:`SynthesisFailed` if it does not speak the text, and :class:`SynthesiserBusy`
    if waiting for it and speaking take more than ``timeout`` seconds.
    """
    import lameenc

    engine = _synthesiser()
    sound = engine.speak(voice, text, time.monotonic() + timeout)
    if not sound:
        raise SynthesisFailed(f"espeak-ng's {voice!r} voice made no sound for a text")
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)  # speech, mono: small enough for a slow connection
    encoder.set_in_sample_rate(engine.rate)
    encoder.set_channels(1)
    encoder.set_quality(2)
    return bytes(encoder.encode(sound) + encoder.flush())


_slots = threading.BoundedSemaphore(SYNTHESIS_SLOTS)


def _read(store: Store, key: str) -> bytes | None:
    """The file at ``key``, or None if there is none or the store cannot be reached (the
    words are then made here, as for a text with no file)."""
    try:
        return store.read(key)
    except StoreUnavailable as exc:
        log.warning("read-aloud audio not read: %s", exc)
        return None


def make_now(app: Flask, language: str, text: str, *, keep: bool) -> bytes | None:
    """``text`` read aloud in ``language``, for a page that needs it now: the bytes of its
    recording or generated file if it has one, else of an MP3 made here. None if the text
    is blank, or has no file and no voice speaks ``language``. (A recording is returned as
    it was recorded: see :meth:`AudioLibrary.file_for` for its kind.)

    With ``keep``, what is made is saved under ``pages/``, so the next child's request is
    for a plain file. Without ``keep`` nothing is written: for texts with a child's or a
    worker's name in them.

    At most :data:`SYNTHESIS_SLOTS` texts are made at once; the others wait. Raises
    :class:`SynthesiserBusy` if the text is not made within :data:`SYNTHESIS_TIMEOUT`
    seconds, :class:`SynthesisFailed` if the synthesiser does not speak it.
    """
    if not text.strip():
        return None
    shelf, store = library(app), audio_store(app)
    found = shelf.file_for(language, text)
    # None too if the file was removed since the folder was listed (a build found it stale).
    heard = _read(store, found) if found is not None else None
    if heard is not None:
        return heard
    if not has_voice(language):
        return None
    timeout = SYNTHESIS_TIMEOUT
    deadline = time.monotonic() + timeout
    name = f"{digest(language, text)}.mp3"
    target = f"pages/{language}/{name}"
    if not _slots.acquire(timeout=timeout):
        raise SynthesiserBusy(f"no audio made within {timeout:g} s: "
                              f"{SYNTHESIS_SLOTS} texts are being made already")
    try:
        made_meanwhile = _read(store, target) if keep else None  # by a request waited for
        if made_meanwhile is not None:
            return made_meanwhile
        spoken = synthesise(VOICES[language], text, timeout=deadline - time.monotonic())
    finally:
        _slots.release()
    if keep:
        try:
            store.write(target, spoken)
        except StoreUnavailable as exc:
            log.warning("read-aloud audio made but not kept: %s", exc)
        else:
            shelf.add_made(language, name)
    return spoken


@dataclass
class BuildReport:
    """What one ``viewpoint audio build`` did, per language."""

    made: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    recorded: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    #: Languages no synthesiser speaks, with how many texts still have no recording.
    no_voice: dict[str, int] = field(default_factory=dict)


def build(app: Flask, languages: Iterable[str] | None = None, *, force: bool = False,
          workers: int | None = None, log: object = None) -> BuildReport:
    """Generate audio for every text a child can hear in each language with a voice, into
    ``generated/`` in the audio store. Texts with a recording are skipped; files made for
    words no longer used are removed. Existing files are kept unless ``force``.

    Raises :class:`SynthesiserMissing` if the synthesiser cannot be loaded,
    :class:`SynthesisFailed` or :class:`SynthesiserBusy` if it does not speak a text, and
    :class:`~viewpoint.storage.StoreUnavailable` if the audio store cannot be reached.
    """
    _synthesiser()
    catalogue = _catalogue(app)
    store = audio_store(app)
    report = BuildReport()
    chosen = list(languages or available_languages())
    with app.app_context():
        texts = {language: spoken_texts(catalogue, language) for language in chosen}
    jobs: list[tuple[str, str, Store, str]] = []
    for language in chosen:
        recordings = _files_in(store, f"recorded/{language}", RECORDED_TYPES)
        wanted = {digest(language, text): text for text in texts[language]}
        report.recorded[language] = sum(1 for key in wanted if key in recordings)
        voice = VOICES.get(language)
        if voice is None:
            report.no_voice[language] = len(wanted) - report.recorded[language]
            continue
        folder = f"generated/{language}"
        store.clean(folder)
        made_before = _files_in(store, folder, (".mp3",))
        stale = set(made_before) - set(wanted)
        for key in stale:
            store.remove(f"{folder}/{made_before[key]}")
        report.removed[language] = len(stale)
        there = {f"{key}.mp3" for key in made_before if key not in stale}
        made_for_pages = _files_in(store, f"pages/{language}", (".mp3",))
        kept = 0
        for key, text in wanted.items():
            name = f"{key}.mp3"
            if key in recordings:
                continue
            # A question a page needed before the build reached it: moved, not made again.
            # (Removed meanwhile: then it is made below, like any other.)
            if (key in made_for_pages and name not in there and not force
                    and store.move(f"pages/{language}/{made_for_pages[key]}", f"{folder}/{name}")):
                there.add(name)
            if name in there and not force:
                kept += 1
                continue
            jobs.append((voice, text, store, f"{folder}/{name}"))
        report.kept[language] = kept
        report.made[language] = 0

    if not jobs:
        return report
    # Processes, not threads: the MP3 encoder keeps Python's interpreter lock while it works.
    # Started afresh ("spawn") rather than copied from this process, which may be speaking.
    pool = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 2,
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=_watch_parent, initargs=(os.getpid(),))
    try:
        for language in pool.map(_make, jobs, chunksize=8):
            report.made[language] += 1
            if callable(log) and sum(report.made.values()) % 200 == 0:
                log(f"... {sum(report.made.values())} of {len(jobs)} made")
    finally:
        # Stopped early (a failure, or interrupted): what has not started is dropped.
        pool.shutdown(cancel_futures=True)
    return report


def _make(job: tuple[str, str, Store, str]) -> str:
    """In a worker process: one text spoken and written to the store (handed over with the
    job: an S3 store connects afresh in each process). Returns the text's language."""
    voice, text, store, key = job
    store.write(key, synthesise(voice, text))
    return key.split("/")[1]


def _watch_parent(parent: int) -> None:
    """In each of the build's worker processes: stop when the build stops, even when it was
    killed and had no chance to stop them."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _catalogue(app: Flask) -> Catalogue:
    """What children are served: the council's published versions over the shipped ones.
    A database not yet migrated (audio can be built before the first ``db upgrade``) has
    only the shipped ones."""
    with app.app_context():
        try:
            return served()
        except SQLAlchemyError:
            catalogue: Catalogue = app.extensions["viewpoint.questionnaires"]
            return catalogue


def missing_recordings(app: Flask, language: str) -> Iterator[tuple[str, str]]:
    """(file name, text) for each text in ``language`` nobody has recorded yet. Raises
    :class:`~viewpoint.storage.StoreUnavailable` if the audio store cannot be reached."""
    catalogue = _catalogue(app)
    recordings = _files_in(audio_store(app), f"recorded/{language}", RECORDED_TYPES)
    with app.app_context():
        texts = spoken_texts(catalogue, language)
    for text in texts:
        key = digest(language, text)
        if key not in recordings:
            yield f"{key}.mp3", text
