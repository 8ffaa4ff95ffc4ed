"""Text to Piper phoneme ids: espeak-ng IPA, grouped by sentence, mapped with the voice's id map.

The espeak-ng library and its data come from the ``espeakng-loader`` package (the ``speech``
extra): no system package is needed. It is called through ``ctypes`` exactly as Piper's own
bridge calls it (``espeak_TextToPhonemes`` clause by clause, IPA mode). Piper's bridge gets each
clause's punctuation from a patched espeak-ng; the stock library does not return it, so it is
read from the text the clause consumed (espeak-ng advances the text pointer past the clause and
its punctuation). Phonemes then become ids as in Piper: ``^``, pad, each phoneme followed by
pad, ``$``.
"""

from __future__ import annotations

import ctypes
import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence

BOS, EOS, PAD = "^", "$", "_"
AUDIO_OUTPUT_SYNCHRONOUS = 2
CHARS_AUTO = 0  # UTF-8 when valid, as Piper's bridge asks
PHONEMES_IPA = 0x02
SENTENCE_END = ".?!"
_DASHES = "\u2013\u2014"
_PUNCTUATION = ".?!,:;\u2026" + _DASHES
_CLOSING = "\"'\u201d\u2019\u00bb)]}"
_LANGUAGE_SWITCH = re.compile(r"\([^)]+\)")  # espeak-ng marks words of another language "(en)...(fr)"

_lock = threading.Lock()  # espeak-ng keeps global state: one caller at a time
_library: ctypes.CDLL | None = None
_voice: str | None = None


class PhonemizerUnavailableError(RuntimeError):
    """espeak-ng cannot be loaded (the ``speech`` extra is not installed)."""


def _load() -> ctypes.CDLL:
    global _library
    if _library is not None:
        return _library
    try:
        import espeakng_loader
    except ImportError as error:
        raise PhonemizerUnavailableError(
            "speech synthesis needs espeak-ng phonemes from the 'espeakng-loader' package: "
            "pip install 'aigc[speech]'"
        ) from error
    library = ctypes.CDLL(espeakng_loader.get_library_path())
    library.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    library.espeak_Initialize.restype = ctypes.c_int
    library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    library.espeak_SetVoiceByName.restype = ctypes.c_int
    library.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
    library.espeak_TextToPhonemes.restype = ctypes.c_char_p
    data = espeakng_loader.get_data_path().encode()
    if library.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0) < 0:
        raise PhonemizerUnavailableError(f"espeak-ng failed to initialise with data in {data.decode()}")
    _library = library
    return library


def _terminator(consumed: str) -> tuple[str, bool]:
    """``(punctuation kept as a phoneme, ends a sentence)`` for the text one clause consumed.

    Mirrors Piper's bridge, which keeps ``. ? ! , : ;`` only for clauses espeak-ng classes exactly
    so: a dash ending a clause counts as a semicolon, an ellipsis keeps nothing and ends no
    sentence, a blank line ends a sentence without punctuation.
    """
    stripped = consumed.rstrip(" \t\r\n")
    paragraph = consumed[len(stripped) :].count("\n") >= 2
    stripped = stripped.rstrip(_CLOSING)
    run = stripped[len(stripped.rstrip(_PUNCTUATION)) :]
    if not run or run.startswith(("...", "\u2026")):
        return "", paragraph
    first = ";" if run[0] in _DASHES else run[0]
    return first, paragraph or first in SENTENCE_END


def _clauses(text: str) -> list[tuple[str, str, bool]]:
    """``(IPA phonemes, terminator, ends a sentence)`` per clause, as espeak-ng splits ``text``
    (lock held). espeak-ng reads one character ahead: the pointer it leaves is one character
    past the start of the next clause, so that character is dropped from the consumed text."""
    library = _load()
    encoded = text.replace("\0", " ").encode("utf-8")  # espeak-ng would stop at a NUL
    buffer = ctypes.create_string_buffer(encoded)
    start = ctypes.addressof(buffer)
    pointer = ctypes.c_void_p(start)
    clauses = []
    while pointer.value is not None and pointer.value - start < len(encoded):
        before = pointer.value
        phonemes = library.espeak_TextToPhonemes(ctypes.byref(pointer), CHARS_AUTO, PHONEMES_IPA)
        after = start + len(encoded) if pointer.value is None else pointer.value
        consumed = encoded[before - start : after - start].decode("utf-8", errors="ignore")
        if pointer.value is not None:
            consumed = consumed[:-1]
        clauses.append(((phonemes or b"").decode("utf-8"), *_terminator(consumed)))
        if after <= before:  # no progress: never loop forever on odd input
            break
    return clauses


def phonemize(text: str, voice: str) -> list[list[str]]:
    """Phonemes of ``text`` grouped by sentence, as Piper groups them (punctuation kept as phonemes,
    accents decomposed into their own code points)."""
    global _voice
    sentences: list[list[str]] = []
    current: list[str] = []
    with _lock:
        library = _load()
        if voice != _voice:
            if library.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ValueError(f"espeak-ng has no voice {voice!r}")
            _voice = voice
        clauses = _clauses(text)
    for phonemes, terminator, sentence_end in clauses:
        phonemes = _LANGUAGE_SWITCH.sub("", phonemes) + terminator
        if terminator in (",", ":", ";"):
            phonemes += " "
        current.extend(unicodedata.normalize("NFD", phonemes))
        if sentence_end:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return [s for s in sentences if s]


def phoneme_ids(phonemes: Sequence[str], id_map: Mapping[str, Sequence[int]]) -> list[int]:
    """Piper's ids: BOS, pad, then each known phoneme followed by pad, then EOS (unknown ones skipped)."""
    ids = [*id_map[BOS], *id_map[PAD]]
    for phoneme in phonemes:
        if phoneme in id_map:
            ids += [*id_map[phoneme], *id_map[PAD]]
    return ids + list(id_map[EOS])
