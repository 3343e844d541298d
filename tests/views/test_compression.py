"""The service's scripts and styles are sent compressed to browsers that ask; pages never
are (they carry the CSRF token beside words a visitor can put on them)."""

from __future__ import annotations

import gzip
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_script_is_sent_gzip_compressed_to_a_browser_that_asks(client) -> None:  # type: ignore[no-untyped-def]
    plain = (ROOT / "static" / "js" / "respond.js").read_bytes()
    reply = client.get("/static/js/respond.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert reply.status_code == 200
    assert reply.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in reply.headers["Vary"]
    body = reply.get_data()
    assert gzip.decompress(body) == plain
    assert len(body) < len(plain) / 2
    assert int(reply.headers["Content-Length"]) == len(body)


def test_a_browser_that_does_not_ask_gets_the_file_as_it_is(client) -> None:  # type: ignore[no-untyped-def]
    plain = (ROOT / "static" / "css" / "child.css").read_bytes()
    for asked in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0"}):
        reply = client.get("/static/css/child.css", headers=asked)
        assert "Content-Encoding" not in reply.headers, asked
        assert reply.get_data() == plain


def test_fonts_and_pages_are_never_compressed(client) -> None:  # type: ignore[no-untyped-def]
    asked = {"Accept-Encoding": "gzip"}
    font = client.get("/static/fonts/noto-naskh-arabic/arabic-400.woff2", headers=asked)
    assert font.status_code == 200 and "Content-Encoding" not in font.headers
    page = client.get("/", headers=asked)
    assert page.status_code == 200 and "Content-Encoding" not in page.headers


def test_a_compressed_file_is_not_mistaken_for_the_plain_one_by_a_cache(client) -> None:  # type: ignore[no-untyped-def]
    plain = client.get("/static/js/respond.js")
    packed = client.get("/static/js/respond.js", headers={"Accept-Encoding": "gzip"})
    assert plain.headers["ETag"] != packed.headers["ETag"]
    # Part of a file (as a media player asks) is sent as it is on disk, never compressed.
    part = client.get("/static/js/respond.js", headers={"Accept-Encoding": "gzip",
                                                        "Range": "bytes=0-99"})
    assert part.status_code == 206 and "Content-Encoding" not in part.headers
    assert len(part.get_data()) == 100
