"""Text measures shared by the text evaluators: the pinned word tokenisation, distinct-n, self-BLEU,
repetition, profanity and PII detectors, and the n-gram hash index of the memorization check.

numpy and the standard library only; see README.md for the definitions.
"""
