"""Read-aloud audio in a store every app server reaches: a folder, or an S3-compatible store.

The S3 store is tested against a real S3 server (moto's) on the loopback address, never the
internet. Two app instances configured with the same store stand for two servers behind the
council's load balancer: what one saves, the other serves.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import pickle
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from flask import Flask
from moto.server import ThreadedMotoServer

from tests.factories import make_child
from tests.support import make_config, migrate
from tests.unit.test_speech_engine import is_mp3
from tests.views.test_respond import begin, enter
from viewpoint import audio, create_app
from viewpoint.audio import digest, library, make_now, spoken_texts
from viewpoint.config import UnsafeConfiguration
from viewpoint.extensions import db
from viewpoint.operations.invitations import issue_invitation
from viewpoint.storage import FolderStore, S3Store, Store, StoreUnavailable, check_key

REGION = "eu-west-2"
WEBM = b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 40  # a recording's first bytes, then "sound"
_buckets = itertools.count(1)


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """The address of an S3 server on this machine, for this file's tests."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture()
def credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials from the environment, as on a server, and nothing from this machine's own
    AWS files or instance metadata."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
                        "AWS_CONFIG_FILE": str(tmp_path / "none"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def bucket(s3_server: str, credentials: None) -> str:
    """A new, empty bucket (its own for each test)."""
    name = f"viewpoint-audio-{next(_buckets)}"
    boto3.client("s3", endpoint_url=s3_server, region_name=REGION).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


@pytest.fixture(params=["folder", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "folder":
        return FolderStore(tmp_path / "audio")
    endpoint = request.getfixturevalue("s3_server")
    return S3Store(request.getfixturevalue("bucket"), "council/audio/", endpoint=endpoint,
                   region=REGION)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server(tmp_path: Path, name: str, database: str, **settings: object) -> Flask:
    """One app server: its own instance folder, the shared database, the given audio store."""
    config = dataclasses.replace(make_config(database, tmp_path / name), **settings)
    return create_app(config)


# --- the store itself, both kinds ---

def test_a_file_is_written_read_listed_moved_and_removed(store: Store) -> None:
    store.write("pages/ti/abc.mp3", b"first")
    store.write("pages/ti/def.mp3", b"second")
    store.write("pages/ti/deeper/ignored.mp3", b"not directly in the folder")

    assert store.read("pages/ti/abc.mp3") == b"first"
    assert sorted(store.list_folder("pages/ti")) == ["abc.mp3", "def.mp3"]

    assert store.move("pages/ti/abc.mp3", "generated/ti/abc.mp3") is True
    assert store.read("pages/ti/abc.mp3") is None
    assert store.read("generated/ti/abc.mp3") == b"first"
    assert store.list_folder("generated/ti") == ["abc.mp3"]
    assert store.move("pages/ti/abc.mp3", "generated/ti/again.mp3") is False  # gone already

    store.remove("pages/ti/def.mp3")
    store.remove("pages/ti/def.mp3")  # removing what is not there is no mistake
    assert store.list_folder("pages/ti") == []
    assert store.read("pages/ti/def.mp3") is None


def test_a_missing_key_reads_as_nothing_and_an_empty_folder_lists_nothing(store: Store) -> None:
    assert store.read("recorded/ur/0123456789abcdef01234567.webm") is None
    assert store.list_folder("recorded/ur") == []
    assert store.list_folder("never/written") == []


def test_an_overwrite_is_never_seen_half_written(store: Store) -> None:
    """A reader on another server meanwhile sees the old file or the new one, whole; a
    folder's listing never shows a file still being written."""
    versions = [bytes([n]) * 300_000 for n in range(1, 4)]
    store.write("generated/pl/overwritten.mp3", versions[0])
    done = threading.Event()
    seen: list[bytes | None] = []
    listed: set[str] = set()

    def read_while_written() -> None:
        while not done.is_set():
            seen.append(store.read("generated/pl/overwritten.mp3"))
            listed.update(store.list_folder("generated/pl"))

    reader = threading.Thread(target=read_while_written)
    reader.start()
    try:
        for round_ in range(12):
            store.write("generated/pl/overwritten.mp3", versions[round_ % 3])
    finally:
        done.set()
        reader.join()

    assert seen and all(found in versions for found in seen)
    assert listed == {"overwritten.mp3"}


def test_keys_that_would_climb_out_of_the_store_are_refused(store: Store) -> None:
    for key in ("../secret_key", "recorded/../../x.mp3", "/etc/passwd", "a//b", ".hidden/x",
                "recorded/.x.part"):
        with pytest.raises(ValueError, match="not a store key"):
            store.write(key, b"x")
    assert check_key("recorded/ur/abc.webm") == "recorded/ur/abc.webm"


def test_an_s3_store_is_handed_to_another_process_without_its_connection(
        s3_server: str, bucket: str) -> None:
    store = S3Store(bucket, "", endpoint=s3_server, region=REGION)
    store.write("recorded/pl/a.ogg", b"OggS")  # connected
    copy = pickle.loads(pickle.dumps(store))  # noqa: S301 (our own bytes, as the build does)
    assert copy.read("recorded/pl/a.ogg") == b"OggS"
    assert "_client" not in store.__getstate__()


def test_a_store_that_is_no_store_stops_the_app_starting(tmp_path: Path) -> None:
    for value in ("/srv/audio", "s3://", "s3://UPPER_case", "https://bucket.example/x",
                  "s3://ok-bucket/../up"):
        with pytest.raises(UnsafeConfiguration, match="AUDIO_STORE must be empty"):
            server(tmp_path, "refused", f"sqlite:///{tmp_path / 'unused.sqlite3'}",
                   AUDIO_STORE=value)
    with pytest.raises(UnsafeConfiguration, match="AUDIO_S3_ENDPOINT must be"):
        server(tmp_path, "refused", f"sqlite:///{tmp_path / 'unused.sqlite3'}",
               AUDIO_STORE="s3://bucket", AUDIO_S3_ENDPOINT="minio:9000")


# --- two servers, one store ---

@pytest.fixture()
def two_servers(tmp_path: Path, s3_server: str, bucket: str) -> tuple[Flask, Flask]:
    database = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    settings = {"AUDIO_STORE": f"s3://{bucket}/audio", "AUDIO_S3_ENDPOINT": s3_server}
    return (server(tmp_path, "one", database, **settings),
            server(tmp_path, "two", database, **settings))


def test_a_recording_saved_on_one_server_is_heard_from_another(
        two_servers: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = two_servers
    words = "Do you feel safe where you live?"
    with two.app_context():
        assert library(two).file_for("ur", words) is None  # listed before the recording

    name = audio.save_recording(one, "ur", words, WEBM)

    assert name == f"{digest('ur', words)}.webm"
    assert audio.recording_for(two, "ur", words) == name
    monkeypatch.setattr(audio, "_RESCAN_SECONDS", 0.0)  # the next look at the store is due
    assert library(two).file_for("ur", words) == f"recorded/ur/{name}"
    client = two.test_client()
    heard = client.get(f"/audio/recorded/ur/{name}")
    assert heard.status_code == 200 and heard.data == WEBM
    assert heard.headers["Content-Type"] == "audio/webm"
    assert "max-age=86400" in heard.headers["Cache-Control"]
    assert heard.headers["Accept-Ranges"] == "bytes" and heard.headers["ETag"]

    # Safari asks for the first bytes, then the rest.
    start = client.get(f"/audio/recorded/ur/{name}", headers={"Range": "bytes=0-99"})
    assert start.status_code == 206 and start.data == WEBM[:100]
    assert start.headers["Content-Range"] == f"bytes 0-99/{len(WEBM)}"
    rest = client.get(f"/audio/recorded/ur/{name}", headers={"Range": "bytes=100-"})
    assert rest.status_code == 206 and rest.data == WEBM[100:]
    again = client.get(f"/audio/recorded/ur/{name}",
                       headers={"If-None-Match": heard.headers["ETag"]})
    assert again.status_code == 304

    assert audio.remove_recording(one, "ur", words) is True
    assert client.get(f"/audio/recorded/ur/{name}").status_code == 404
    assert audio.recording_for(two, "ur", words) is None
    assert library(two).file_for("ur", words) is None
    assert audio.remove_recording(two, "ur", words) is False


def test_the_audio_address_refuses_what_is_not_audio_from_the_store(
        two_servers: tuple[Flask, Flask]) -> None:
    client = two_servers[1].test_client()
    for path in ("/audio/recorded/ur/0123456789abcdef01234567.webm",  # not in the store
                 "/audio/secrets/ur/0123456789abcdef01234567.webm",
                 "/audio/recorded/xx/0123456789abcdef01234567.webm",
                 "/audio/recorded/ur/..%2f..%2fsecret_key"):
        assert client.get(path).status_code == 404, path


def test_the_build_writes_its_audio_into_the_store_from_its_worker_processes(
        two_servers: tuple[Flask, Flask]) -> None:
    """The build's worker processes are started afresh: each connects to the store itself.
    Words a page needed first are moved within the store, not made again."""
    app, other = two_servers
    store = audio.audio_store(app)
    with app.app_context():
        every = spoken_texts(app.extensions["viewpoint.questionnaires"], "ti")
    left = every[-3:]
    for text in every[:-3]:  # stand-in recordings keep the build quick
        store.write(f"recorded/ti/{digest('ti', text)}.ogg", b"OggS")
    made_on_a_page = make_now(app, "ti", left[0], keep=True)
    assert store.list_folder("pages/ti") == [f"{digest('ti', left[0])}.mp3"]

    built = app.test_cli_runner().invoke(args=["audio", "build", "--language", "ti"])

    assert built.exit_code == 0, built.output
    assert "ti: 2 made, 1 already there" in built.output
    assert f"Audio is in s3://{store.bucket}/audio/" in built.output  # type: ignore[attr-defined]
    assert sorted(store.list_folder("generated/ti")) == sorted(
        f"{digest('ti', text)}.mp3" for text in left)
    assert store.list_folder("pages/ti") == []
    made = [store.read(f"generated/ti/{digest('ti', text)}.mp3") for text in left]
    assert made[0] == made_on_a_page and all(is_mp3(data or b"") for data in made)
    assert library(other).file_for("ti", left[1]) == f"generated/ti/{digest('ti', left[1])}.mp3"


# --- a store that cannot be reached ---

def test_an_unreachable_store_gives_503_and_the_childs_question_page_still_shows(
        tmp_path: Path, credentials: None, caplog: pytest.LogCaptureFixture) -> None:
    database = f"sqlite:///{tmp_path / 'viewpoint.sqlite3'}"
    migrate(database)
    app = server(tmp_path, "one", database, AUDIO_STORE="s3://viewpoint-audio/unreachable",
                 AUDIO_S3_ENDPOINT=f"http://127.0.0.1:{closed_port()}")
    with app.app_context():
        child = make_child(db.session, age=12)
        issued = issue_invitation(db.session, app.extensions["viewpoint.questionnaires"], child,
                                  band=None, offered_languages=("en",))
        db.session.commit()
    client = app.test_client()

    with caplog.at_level(logging.WARNING):
        refused = client.get("/audio/generated/en/0123456789abcdef01234567.mp3")
        assert refused.status_code == 503
        assert "Traceback" not in refused.get_data(as_text=True)
        assert "botocore" not in refused.get_data(as_text=True)

        assert enter(client, issued.code).status_code == 302
        question = client.get(begin(client))

    assert question.status_code == 200
    page = question.get_data(as_text=True)
    assert 'data-audio="/audio/' not in page  # nothing linked that cannot be fetched
    assert "read-aloud audio not served" in caplog.text
    assert "read-aloud audio in en not listed" in caplog.text
    with pytest.raises(StoreUnavailable, match="cannot be used"):
        audio.recording_for(app, "en", "Hello")
