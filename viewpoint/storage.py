"""Stores of files every app server reaches: where read-aloud audio is kept.

A council runs several app servers behind a load balancer, so a recording saved through
one of them must be heard through every other. The audio therefore lives in a *store*,
chosen by ``AUDIO_STORE``: a folder (one server, or a folder every server mounts, such as
NFS) or an S3-compatible object store (Amazon S3, MinIO, Ceph...).

A store holds files named by *keys*: relative names of ``/``-separated parts, such as
``recorded/ur/3f2a....webm``. The part before the last ``/`` is the key's *folder*
(``recorded/ur``). No part is empty, ``.`` or ``..``, or starts with ``.`` (names starting
with ``.`` are the stores' own: a folder's partial files). A key that breaks these rules
raises ``ValueError``.

What every store promises:

- :meth:`Store.write` replaces the whole file at once: a reader (on any server) sees the
  old bytes or the new ones, never part of either, and a listing never shows a file that
  is still being written.
- :meth:`Store.read` returns the bytes, or None for a key that holds nothing.
- :meth:`Store.list_folder` returns the names (the last part of each key) of the files
  directly in a folder, in no particular order; empty for a folder that holds nothing or
  was never written to.
- :meth:`Store.remove` removes a key's file; removing a key that holds nothing is not a
  mistake.
- :meth:`Store.move` gives a file a new key (replacing what was there, at once, as
  :meth:`write` does); False if the old key held nothing.
- :meth:`Store.stamp` is a cheap value that changes whenever a folder's list of files
  changes (a folder on disk: its modification time), so a cache of listings need only
  list again when it changes. A store with no such value (S3 has none) returns None: a
  cache must then list again every time it checks (``audio.AudioLibrary`` checks every
  ``_RESCAN_SECONDS``).
- :meth:`Store.clean` removes what an interrupted write left behind in a folder.
- :meth:`Store.local_path` is the file on this machine's disk holding a key, for stores
  that have one (a folder), so the web server's own file sending (ranges, conditional
  requests) can serve it; None for a store with no local files.
- Every method raises :class:`StoreUnavailable` when the store cannot be reached or
  refuses the app (a network failure, a timeout, a missing bucket, wrong credentials, an
  unmounted folder).

A store can be pickled: the audio build hands it to worker processes started afresh, and
an S3 store's connection is made again, on first use, in each.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any

#: What an S3 location looks like: a bucket (DNS-style name), then an optional prefix.
_S3_LOCATION = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])"
                          r"(?:/(?P<prefix>[^\s]*))?")
#: Partial files older than this are leftovers: newer ones may still be being written.
_LEFTOVER_SECONDS = 600


class StoreUnavailable(OSError):
    """Raised when a store cannot be reached or refuses the app; the message says which
    store and why (never what was being read or written)."""


def check_key(key: str) -> str:
    """``key`` itself, if it is a key (see the module's description). Raises ``ValueError``
    if not."""
    parts = key.split("/")
    if not key or any(not part or part.startswith(".") for part in parts) or "\\" in key \
            or "\0" in key:
        raise ValueError(f"not a store key: {key!r}")
    return key


def s3_location(spec: str) -> tuple[str, str]:
    """(bucket, prefix) of an ``s3://bucket/optional/prefix`` location; the prefix is empty
    or ends with ``/``. Raises ``ValueError`` for anything else."""
    found = _S3_LOCATION.fullmatch(spec.strip())
    if found is None:
        raise ValueError("expected s3://bucket or s3://bucket/prefix (a bucket name of 3 to "
                         "63 lower-case letters, digits, dots and hyphens)")
    prefix = (found.group("prefix") or "").strip("/")
    if prefix:
        check_key(prefix)
        prefix += "/"
    return found.group("bucket"), prefix


class Store:
    """A store of files named by keys (see the module's description for what each method
    promises)."""

    def read(self, key: str) -> bytes | None:
        raise NotImplementedError

    def write(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def remove(self, key: str) -> None:
        raise NotImplementedError

    def move(self, source: str, target: str) -> bool:
        raise NotImplementedError

    def list_folder(self, folder: str) -> list[str]:
        raise NotImplementedError

    def stamp(self, folder: str) -> float | None:
        return None

    def clean(self, folder: str) -> None:
        return None

    def local_path(self, key: str) -> Path | None:
        return None

    def describe(self) -> str:
        """Where the store is, for people (a folder's path, an ``s3://`` location)."""
        raise NotImplementedError


class FolderStore(Store):
    """Files in a folder on this machine's disk (or a folder every server mounts)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise self._unavailable(exc) from exc

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        # Written beside and renamed, so that a page never links to half a file. Each partial
        # file has its own name: a build and a page's request may write the same key at once.
        partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(data)
            partial.replace(path)
        except OSError as exc:
            raise self._unavailable(exc) from exc
        finally:
            partial.unlink(missing_ok=True)

    def remove(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise self._unavailable(exc) from exc

    def move(self, source: str, target: str) -> bool:
        old, new = self._path(source), self._path(target)
        try:
            new.parent.mkdir(parents=True, exist_ok=True)
            old.replace(new)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._unavailable(exc) from exc
        return True

    def list_folder(self, folder: str) -> list[str]:
        try:
            with os.scandir(self._path(folder)) as entries:
                return [entry.name for entry in entries
                        if not entry.name.startswith(".") and entry.is_file()]
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise self._unavailable(exc) from exc

    def stamp(self, folder: str) -> float:
        """The folder's modification time (0 for a folder not made yet): a file added,
        renamed into it or removed changes it."""
        try:
            return self._path(folder).stat().st_mtime
        except (FileNotFoundError, NotADirectoryError):
            return 0.0
        except OSError as exc:
            raise self._unavailable(exc) from exc

    def clean(self, folder: str) -> None:
        """Partial files left by a write that was stopped (a build or a server killed while
        writing), except those of the last ten minutes: they may still be being written."""
        try:
            for leftover in self._path(folder).glob(".*.part"):
                try:
                    if time.time() - leftover.stat().st_mtime > _LEFTOVER_SECONDS:
                        leftover.unlink()
                except FileNotFoundError:
                    pass
        except OSError as exc:
            raise self._unavailable(exc) from exc

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def describe(self) -> str:
        return str(self.root)

    def _unavailable(self, exc: OSError) -> StoreUnavailable:
        return StoreUnavailable(f"the audio folder {self.root} cannot be used: "
                                f"{exc.strerror or exc}")


class S3Store(Store):
    """Objects in an S3-compatible store (Amazon S3, MinIO, Ceph...), under a prefix of one
    bucket. Credentials come from where boto3 finds them (``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY``, a profile, an instance role...)."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint: str | None = None,
                 region: str | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint or None
        self.region = region or None
        self._client: Any = None
        self._client_pid = 0
        self._lock = threading.Lock()

    @classmethod
    def at(cls, location: str, *, endpoint: str | None = None,
           region: str | None = None) -> S3Store:
        """The store at ``s3://bucket/optional/prefix``. Raises ``ValueError`` for anything
        else."""
        bucket, prefix = s3_location(location)
        return cls(bucket, prefix, endpoint=endpoint, region=region)

    # Handed to the build's worker processes without the connection: one is made in each.
    def __getstate__(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "prefix": self.prefix, "endpoint": self.endpoint,
                "region": self.region}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.bucket, self.prefix = state["bucket"], state["prefix"]
        self.endpoint, self.region = state["endpoint"], state["region"]
        self._client, self._client_pid, self._lock = None, 0, threading.Lock()

    def _s3(self) -> Any:
        # Made on first use, and again in a process forked after it was made (a connection
        # pool is not shared across processes).
        if self._client is None or self._client_pid != os.getpid():
            with self._lock:
                if self._client is None or self._client_pid != os.getpid():
                    import boto3
                    from botocore.config import Config

                    config = Config(
                        connect_timeout=5, read_timeout=20,
                        retries={"max_attempts": 3, "mode": "standard"},
                        # Services other than Amazon's name buckets in the path.
                        s3={"addressing_style": "path"} if self.endpoint else None)
                    self._client = boto3.session.Session().client(
                        "s3", endpoint_url=self.endpoint, region_name=self.region,
                        config=config)
                    self._client_pid = os.getpid()
        return self._client

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def read(self, key: str) -> bytes | None:
        full = self._key(key)
        try:
            body = self._s3().get_object(Bucket=self.bucket, Key=full)["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()
        except _s3_errors() as exc:
            if _missing(exc):
                return None
            raise self._unavailable(exc) from exc

    def write(self, key: str, data: bytes) -> None:
        # One PUT: the object is replaced whole when the upload is complete, never before.
        full = self._key(key)
        try:
            self._s3().put_object(Bucket=self.bucket, Key=full, Body=data)
        except _s3_errors() as exc:
            raise self._unavailable(exc) from exc

    def remove(self, key: str) -> None:
        full = self._key(key)
        try:
            self._s3().delete_object(Bucket=self.bucket, Key=full)
        except _s3_errors() as exc:
            if not _missing(exc):
                raise self._unavailable(exc) from exc

    def move(self, source: str, target: str) -> bool:
        # S3 has no rename: a copy (which replaces the target whole), then the delete.
        old, new = self._key(source), self._key(target)
        try:
            self._s3().copy_object(Bucket=self.bucket, Key=new,
                                   CopySource={"Bucket": self.bucket, "Key": old})
        except _s3_errors() as exc:
            if _missing(exc):
                return False
            raise self._unavailable(exc) from exc
        self.remove(source)
        return True

    def list_folder(self, folder: str) -> list[str]:
        start = self._key(folder) + "/"
        names = []
        try:
            # A page holds at most a thousand keys; the paginator asks for the next ones.
            pages = self._s3().get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start, Delimiter="/")
            for page in pages:
                for found in page.get("Contents", ()):
                    name = found["Key"][len(start):]
                    if name and not name.startswith("."):
                        names.append(name)
        except _s3_errors() as exc:
            raise self._unavailable(exc) from exc
        return names

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}"
        return f"{where} at {self.endpoint}" if self.endpoint else where

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"the audio store {self.describe()} cannot be used: "
                                f"{type(exc).__name__}: {exc}")


def _s3_errors() -> tuple[type[Exception], ...]:
    """What boto3 raises when S3 cannot be reached (BotoCoreError: no connection, a timeout,
    no credentials) or answers with an error (ClientError)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def _missing(exc: Exception) -> bool:
    """Whether an S3 error says the key holds nothing (and not that the bucket is missing)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "NotFound")


def open_store(spec: str | None, folder: Path, *, endpoint: str | None = None,
               region: str | None = None) -> Store:
    """The store ``spec`` names: empty, the folder ``folder``; ``s3://bucket/prefix``, that
    S3 location (at ``endpoint``, or Amazon S3 in ``region``). Raises ``ValueError`` for
    anything else."""
    if not (spec or "").strip():
        return FolderStore(folder)
    return S3Store.at(str(spec), endpoint=endpoint, region=region)
