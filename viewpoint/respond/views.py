"""What a child sees: the start page, the welcome, the questions, finishing.

Rules for every page here: nothing is cached (a shared tablet's back button must show
nothing after the child has finished), the child's code and identity never appear in a
URL, and every page works without JavaScript.

The pages live in small modules, each registering its routes on :data:`bp`; importing
this module registers them all (``create_app`` does):

- ``entry``: the start page, typing the code, help;
- ``answering``: the welcome, starting, the questions, the autosave, finishing;
- ``anytime``: talking to someone, stopping, read-aloud, the language, the audio files;
- ``offline``: what the tablet keeps to answer with no connection, and what it sends back;
- ``session``: who the child is, decided once per request by a decorator;
- ``blueprint``: the blueprint and its own hooks (nothing cached, stale forms).
"""

from __future__ import annotations

from . import answering, anytime, entry, offline
from .blueprint import bp

__all__ = ["answering", "anytime", "bp", "entry", "offline"]
