"""Text measures on hand-made inputs with known answers: tokens, distinct-n, self-BLEU, repetition,
PII detectors (valid and invalid checksums), the profanity list through obfuscations, redaction,
and the n-gram index."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aigc.plugins.lib.text_metrics.diversity import distinct_n, repetition_rate, self_bleu, sentence_bleu
from aigc.plugins.lib.text_metrics.ngram_index import NgramIndex
from aigc.plugins.lib.text_metrics.pii import card_scheme_number, find_pii, iban_valid, luhn_valid
from aigc.plugins.lib.text_metrics.spans import Span, redact
from aigc.plugins.lib.text_metrics.tokens import words
from aigc.plugins.lib.text_metrics.wordlist import WordList


def test_words_lowercase_keep_inner_apostrophes_and_drop_punctuation() -> None:
    assert words("Don't PANIC -- it's 42, ok?") == ["don't", "panic", "it's", "42", "ok"]


def test_distinct_n_counts_unique_over_total_ngrams_of_the_whole_set() -> None:
    texts = [words("a b a b"), words("a b c")]
    assert distinct_n(texts, 1) == pytest.approx(3 / 7)  # a, b, c of 7 tokens
    assert distinct_n(texts, 2) == pytest.approx(3 / 5)  # ab, ba, bc of ab ba ab | ab bc
    assert distinct_n([words("one")], 2) is None


def test_repetition_rate_is_the_share_of_repeated_ngrams() -> None:
    assert repetition_rate(words("the cat the cat the cat"), 2) == pytest.approx(1 - 2 / 5)
    assert repetition_rate(words("every word here differs"), 1) == 0.0
    assert repetition_rate(words("short"), 3) is None


def test_bleu_of_a_text_against_itself_is_one_and_against_disjoint_text_is_smoothed() -> None:
    text = words("the quick brown fox jumps over the lazy dog")
    assert sentence_bleu(text, [text]) == pytest.approx(1.0)
    other = words("completely unrelated sentence with nine distinct words in it")
    # No n-gram matches: precision n is 0.1 / (9 - n + 1); equal lengths, so no brevity penalty.
    assert sentence_bleu(text, [other]) == pytest.approx(0.1 / (9 * 8 * 7 * 6) ** 0.25)


def test_bleu_brevity_penalty_for_a_short_hypothesis() -> None:
    reference = words("a b c d e f g h")
    hypothesis = words("a b c d")
    assert sentence_bleu(hypothesis, [reference]) == pytest.approx(math.exp(1 - 8 / 4))


def test_self_bleu_is_one_for_identical_texts_and_samples_with_a_seed() -> None:
    same = [words("and god said let there be light")] * 5
    assert self_bleu(same, max_hypotheses=64, seed=0) == (pytest.approx(1.0), 5)
    varied = [words(f"text number {i} says {i * 7} things") for i in range(40)]
    first = self_bleu(varied, max_hypotheses=10, seed=3)
    assert first[1] == 10
    assert self_bleu(varied, max_hypotheses=10, seed=3) == first
    assert self_bleu([words("alone")], 64, 0) == (None, 0)


@pytest.mark.parametrize(
    ("number", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True), ("79927398710", False)],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("GB82 WEST 1234 5698 7654 32", True),
        ("DE89370400440532013000", True),
        ("GB82 WEST 1234 5698 7654 33", False),
        ("DE89370400440532013001", False),
        ("GB82", False),
    ],
)
def test_iban_mod97(iban: str, valid: bool) -> None:
    assert iban_valid(iban) is valid


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start : s.end]) for s in find_pii(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jane.doe+x@mail.example.org today", [("email", "jane.doe+x@mail.example.org")]),
        ("call +44 20 7946 0958 now", [("phone", "+44 20 7946 0958")]),
        ("call (555) 123-4567 now", [("phone", "(555) 123-4567")]),
        ("card 4111 1111 1111 1111 expires", [("credit_card", "4111 1111 1111 1111")]),
        ("card 5500-0000-0000-0004.", [("credit_card", "5500-0000-0000-0004")]),
        ("iban DE89 3704 0044 0532 0130 00 ok", [("iban", "DE89 3704 0044 0532 0130 00")]),
        ("host 192.168.10.254 up", [("ipv4", "192.168.10.254")]),
        ("host 2001:db8:85a3::8a2e:370:7334 up", [("ipv6", "2001:db8:85a3::8a2e:370:7334")]),
        ("mapped ::ffff:192.0.2.1 here", [("ipv6", "::ffff:192.0.2.1")]),
        ("at 2001:db8::1.", [("ipv6", "2001:db8::1")]),
        ("London 020 7946 0958 today", [("phone", "020 7946 0958")]),
        ("Paris 01 42 68 53 00.", [("phone", "01 42 68 53 00")]),
        ("Berlin 030 12345678", [("phone", "030 12345678")]),
        ("amex 3782 822463 10005", [("credit_card", "3782 822463 10005")]),
        ("mastercard 2221000000000009", [("credit_card", "2221000000000009")]),
    ],
)
def test_pii_positives(text: str, expected: list[tuple[str, str]]) -> None:
    assert _kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 fails Luhn",
        "iban GB82 WEST 1234 5698 7654 33 fails mod 97",
        "version 300.1.2.3 and 256.256.256.256 are no addresses",
        "on 2024-06-01 at 10:30 read John 3:16 and Genesis 1:1-3",
        "the ratio a:b:c and the time 12:30:45",
        "an @ sign alone, or user@localhost",
        "numbers 1234567 and 12 34 56",
        "at 1700000000004 ms since the epoch",  # passes Luhn, but no card scheme issues 17...
        "order 9999999999999995 shipped",  # passes Luhn, no scheme
    ],
)
def test_pii_negatives(text: str) -> None:
    assert find_pii(text) == []


PROFANITY = WordList(["shit", "fuck", "bitch", "ass", "two girls"], "profanity")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("oh shit", "shit"),
        ("oh SHIT!", "SHIT"),
        ("oh sh!t", "sh!t"),
        ("oh 5h1t", "5h1t"),
        ("what the fuuuuck", "fuuuuck"),
        ("what the f.u.c.k", "f.u.c.k"),
        ("you b-i-t-c-h", "b-i-t-c-h"),
        ("you b i t c h", "b i t c h"),
        ("kick a$$ now", "a$$"),
        ("two   girls again", "two   girls"),
    ],
)
def test_profanity_through_obfuscations(text: str, found: str) -> None:
    [span] = PROFANITY.find(text)
    assert text[span.start : span.end] == found


@pytest.mark.parametrize(
    "text", ["as it was", "a classic assassin", "hello there", "shitake? no: shiitake", "two"]
)
def test_profanity_does_not_match_inside_or_near_words(text: str) -> None:
    assert PROFANITY.find(text) == []


def test_card_numbers_need_a_scheme_prefix_and_a_length_it_issues() -> None:
    assert luhn_valid("1700000000004") and not card_scheme_number("1700000000004")
    assert card_scheme_number("4111111111111111") and card_scheme_number("4222222222222")
    assert not card_scheme_number("411111111111111")  # Visa issues 13, 16 or 19 digits
    assert card_scheme_number("378282246310005") and not card_scheme_number("3782822463100050")


def test_national_phone_formats_follow_the_regions_asked_for() -> None:
    text = "Paris 01 42 68 53 00 or +44 20 7946 0958"
    assert [s.kind for s in find_pii(text, phone_regions=["FR"])] == ["phone", "phone"]
    [international] = find_pii(text, phone_regions=["US"])
    assert text[international.start : international.end] == "+44 20 7946 0958"


def test_an_ipv4_mapped_ipv6_address_is_redacted_whole() -> None:
    text = "from ::ffff:192.0.2.1 and 10.0.0.1"
    assert redact(text, find_pii(text)) == "from [IPV6] and [IPV4]"


def test_redact_replaces_spans_by_their_kind() -> None:
    text = "mail a@b.org or call +1 202 555 0143"
    spans = find_pii(text)
    assert redact(text, spans) == "mail [EMAIL] or call [PHONE]"
    assert redact("abc", [Span(0, 2, "x"), Span(1, 3, "y")]) == "[X]c"


def test_ngram_index_finds_copied_runs_and_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    corpus = [words("one two three four five six seven"), words("alpha beta gamma delta")]
    index = NgramIndex.build(corpus, 3)
    assert len(index) == 5 + 2
    index.save(tmp_path / "index.npz")
    loaded = NgramIndex.load(tmp_path / "index.npz")
    np.testing.assert_array_equal(loaded.fingerprints, index.fingerprints)
    overlap = loaded.overlap(words("zero two three four five eight alpha beta gamma"))
    assert (overlap.ngrams, overlap.found) == (7, 3)  # two-three-four, three-four-five, alpha-beta-gamma
    assert (overlap.longest_span, overlap.longest_start) == (4, 1)
    assert loaded.overlap(words("nothing of this is there")).found == 0
