"""Decode the bytes of a text or HTML file: UTF-8 first, UTF-16 by its BOM, then a careful guess.

charset-normalizer alone guessed mac_latin2 / cp1250 for short French, Spanish and Portuguese texts
saved as Latin-1 ("l'école" became "l'ťcole"). Western European text is the common legacy case here,
so it is tried first and kept only when a language detector reads the result as a language that
Windows-1252 is written in; every other text goes to charset-normalizer limited to the encodings
people actually save documents in. A guessed decode is never silent: the caller gets a note for
stderr and the upload answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.errors import LoadError

# Languages written in Windows-1252 (a superset of the printable Latin-1 range), as langdetect names them.
WESTERN_LANGUAGES = frozenset("af ca cy da de en es et fi fr id it nl no pt so sq sv sw tl".split())
# What charset-normalizer may choose from: the legacy encodings of the group's languages and their
# neighbours (Central European, Cyrillic, Greek, Turkish, Hebrew, Arabic, Baltic, Chinese, Japanese, Korean).
SENSIBLE_ENCODINGS = ("cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r", "iso8859_5",
                      "cp1253", "iso8859_7", "cp1254", "iso8859_9", "cp1255", "cp1256", "iso8859_6", "cp1257",
                      "gb18030", "big5", "shift_jis", "euc_jp", "euc_kr")
MIN_WESTERN_PROBABILITY = 0.9
MAX_NON_ASCII_LETTER_SHARE = 0.35  # real Western text: a few accented letters; mojibake: most of them


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    note: str | None = None  # set when the encoding was guessed rather than declared


def decode_text(data: bytes) -> DecodedText:
    """Text of `data`; raises `LoadError` when no sensible encoding reads it cleanly."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return DecodedText(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError(f"declares UTF-16 but does not decode: {exc.reason}") from exc
    try:
        return DecodedText(data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    western = _western(data)
    if western is not None:
        return western
    return _detected(data)


def looks_like_utf16(head: bytes) -> str | None:
    """`utf-16-le` / `utf-16-be` when the bytes show UTF-16 without a BOM: in Latin text, a NUL in
    every other byte (and almost none in the others)."""
    sample = head[:4096]
    sample = sample[:len(sample) - len(sample) % 2]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _utf16_without_bom(data: bytes) -> DecodedText | None:
    codec = looks_like_utf16(data) if len(data) % 2 == 0 else None
    if codec is None:
        return None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    return DecodedText(text, codec, f"not UTF-8: no byte-order mark, read as {codec.upper()} (guessed)")


def _western(data: bytes) -> DecodedText | None:
    try:
        text = data.decode("cp1252")  # strict: its five undefined bytes rule it out
    except UnicodeDecodeError:
        return None
    if _control_characters(text):
        return None
    letters = [c for c in text[:20000] if c.isalpha()]
    non_ascii = sum(1 for c in letters if ord(c) > 127)
    if not letters or non_ascii > MAX_NON_ASCII_LETTER_SHARE * len(letters):
        return None
    from ingest.language import language_probabilities

    probabilities = language_probabilities(text)
    language, best = max(((lang, p) for lang, p in probabilities.items() if lang in WESTERN_LANGUAGES),
                         key=lambda item: item[1], default=("", 0.0))
    if best < MIN_WESTERN_PROBABILITY:
        return None
    encoding = "latin-1" if not any(0x80 <= b < 0xA0 for b in data) else "cp1252"
    return DecodedText(text, encoding, f"not UTF-8: read as {encoding} (guessed; the text reads as '{language}')")


def _detected(data: bytes) -> DecodedText:
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(SENSIBLE_ENCODINGS)).best()
    if best is None or best.encoding is None:
        raise LoadError("text is not UTF-8 and no common encoding reads it: save it as UTF-8")
    text = str(best)
    bad = text.count("\ufffd") + _control_characters(text)
    if bad > max(3, len(text) // 200):
        raise LoadError(f"text is not UTF-8 and does not decode cleanly as {best.encoding}: save it as UTF-8")
    return DecodedText(text, best.encoding, f"not UTF-8: read as {best.encoding} (guessed)")


def _control_characters(text: str) -> int:
    return sum(1 for c in text if (ord(c) < 32 and c not in "\r\n\t\f") or 0x7F <= ord(c) < 0xA0)
