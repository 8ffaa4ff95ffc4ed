"""Options of the ``music-transformer`` generator (pydantic only, so listing plugins stays cheap)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from aigc.core.sdk import Options

MAX_BARS = 8  # the shipped model's context: 8 bars of 4/4 (256 tokens) plus the key token
SOPRANO_LOW, SOPRANO_HIGH = 57, 81  # A3..A5: the sopranos of the training chorales, in all their keys
KEY_PATTERN = re.compile(r"^([A-Ga-g])([#b]?)\s+(major|minor)$")
TONICS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

# One General MIDI program per voice (soprano, alto, tenor, bass).
INSTRUMENTS: dict[str, tuple[int, int, int, int]] = {
    "organ": (19, 19, 19, 19),  # church organ
    "choir": (52, 52, 52, 52),  # choir aahs
    "strings": (40, 40, 41, 42),  # violin, violin, viola, cello
    "piano": (0, 0, 0, 0),  # acoustic grand piano
    "brass": (56, 60, 57, 58),  # trumpet, French horn, trombone, tuba
    "woodwinds": (73, 68, 71, 70),  # flute, oboe, clarinet, bassoon
}
Instrument = Literal["organ", "choir", "strings", "piano", "brass", "woodwinds"]

MelodyNote = tuple[
    Annotated[int, Field(ge=SOPRANO_LOW, le=SOPRANO_HIGH)] | None,
    Annotated[float, Field(ge=0.5, le=8.0, multiple_of=0.5)],
]


def parse_key(key: str) -> tuple[int, str]:
    """``"F# minor"`` -> ``(6, "minor")``; raises ``ValueError`` naming the expected form."""
    match = KEY_PATTERN.match(key.strip())
    if not match:
        raise ValueError(
            "expected a tonic A-G with an optional # or b, then 'major' or 'minor', e.g. 'Bb major'"
        )
    letter, accidental, mode = match.groups()
    tonic = TONICS[letter.upper()] + {"#": 1, "b": -1, "": 0}[accidental]
    return tonic % 12, mode


class MusicOptions(Options):
    """How long a chorale to write, in which key and tempo, how to sample, and an optional melody."""

    bars: int = Field(8, ge=1, le=MAX_BARS, description=f"length in 4/4 bars (1-{MAX_BARS})")
    key: str = Field(
        "C major",
        max_length=16,
        description="tonic and mode, e.g. 'G major', 'F# minor', 'Bb major' (the model is conditioned on it)",
    )
    tempo: float = Field(80.0, ge=30.0, le=240.0, description="quarter notes per minute (MIDI and WAV)")
    temperature: float = Field(
        1.0, ge=0.0, le=3.0, description="divides the logits; 0 means greedy (always the most likely token)"
    )
    top_k: int = Field(
        0, ge=0, le=100, description="sample only among the k most likely tokens; 0 = no limit"
    )
    top_p: float = Field(
        0.95,
        gt=0.0,
        le=1.0,
        description="nucleus sampling: keep the most likely tokens reaching top_p (1 = all)",
    )
    instrument: Instrument = Field(
        "organ",
        description=(
            "General MIDI instruments of the voices in the MIDI file and the WAV rendering: organ, choir, "
            "strings (violins, viola, cello), piano, brass (trumpet, horn, trombone, tuba) or woodwinds "
            "(flute, oboe, clarinet, bassoon); the WAV uses a General MIDI SoundFont when one is installed"
        ),
    )
    melody: list[MelodyNote] | None = Field(
        None,
        max_length=MAX_BARS * 8,
        description=(
            "harmonise this soprano: a list of [MIDI pitch or null for a rest, length in beats] pairs, "
            f"pitches {SOPRANO_LOW}-{SOPRANO_HIGH}, lengths 0.5-8 in steps of 0.5 (eighth notes); "
            "it must fit in `bars`, and the model writes alto, tenor and bass (and the soprano after "
            "the melody ends)"
        ),
    )

    def sample_cost(self) -> int:
        """One decoder step per token: 32 a bar (8 eighth-note steps of 4 voices)."""
        return self.bars * 32

    @field_validator("key")
    @classmethod
    def _known_key(cls, key: str) -> str:
        parse_key(key)
        return key

    @field_validator("melody")
    @classmethod
    def _melody_fits(cls, melody: list[MelodyNote] | None, info: ValidationInfo) -> list[MelodyNote] | None:
        bars = info.data.get("bars")
        beats = sum(length for _, length in melody or [])
        if bars is not None and beats > bars * 4:
            raise ValueError(
                f"melody lasts {beats:g} beats but bars={bars} allows at most {bars * 4}; "
                "raise bars or shorten the melody"
            )
        return melody
