"""Text files in legacy encodings decode to the right characters, and a guess is always reported.

Regression: a short French text saved as Latin-1 was stored as "l'ťcole, les ťlŤves" (charset-normalizer
chose mac_latin2), and 3 of 5 FR/ES/PT samples were garbled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.encoding import decode_text
from ingest.errors import LoadError
from ingest.loaders import load_file

# Our own sentences, written the way contributions are: short titles and a paragraph or two.
SAMPLES = {
    "fr": "Protection des enfants en ligne : l'école, les élèves et les parents. Le ministère a lancé une "
          "campagne nationale « Internet sans crainte » auprès des élèves de collège ; près de 12 000 "
          "enseignants ont été formés. Prochaines étapes : étendre le programme aux lycées.",
    "es": "Protección de la infancia en línea: niñas, niños y adolescentes. El Ministerio de Educación puso "
          "en marcha una línea de ayuda gratuita; en 2024 se atendieron más de 8.500 llamadas. ¿Qué sigue? "
          "Ampliar la formación a las familias.",
    "pt": "Proteção de crianças on-line: educação digital nas escolas. O governo lançou a campanha nacional "
          "em parceria com organizações da sociedade civil; as lições aprendidas incluem a importância da "
          "participação dos pais e da capacitação contínua.",
    "de": "Kinderschutz im Internet: Schülerinnen und Schüler stärken. Über 3 000 Lehrkräfte nahmen an "
          "Fortbildungen teil; die Auswertung zeigt, dass Meldungen über Cybermobbing um 15 % zunahmen. "
          "Nächste Schritte: größere Beteiligung der Eltern.",
}
SHORT = {"fr": "l'école, les élèves", "es": "niños y niñas en línea", "pt": "proteção das crianças",
         "de": "Schüler und Lehrkräfte in Österreich"}
ENCODINGS = ("latin-1", "cp1252", "utf-16")


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_western_text_in_legacy_encodings_decodes_exactly(lang: str, encoding: str) -> None:
    for text in (SAMPLES[lang], SHORT[lang]):
        decoded = decode_text(text.encode(encoding))
        assert decoded.text == text, (encoding, decoded.encoding, decoded.text)
        if encoding == "utf-16":
            assert decoded.note is None  # declared by its BOM: nothing was guessed
        else:
            assert decoded.note and "guessed" in decoded.note


def test_cp1252_punctuation_is_read_as_cp1252() -> None:
    text = "Les « bonnes pratiques » de l’État – 5 € par élève, œuvre commune."
    decoded = decode_text(text.encode("cp1252"))
    assert decoded.text == text and decoded.encoding == "cp1252"


@pytest.mark.parametrize(("text", "encoding"), [
    ("Zażółć gęślą jaźń: ochrona dzieci w internecie. Ministerstwo Cyfryzacji uruchomiło kampanię dla "
     "rodziców i nauczycieli.", "cp1250"),
    ("Защита детей в интернете: министерство запустило горячую линию для родителей и учителей.", "cp1251"),
    ("Защита детей в интернете: министерство запустило горячую линию для родителей и учителей.", "koi8_r"),
    ("حماية الأطفال على الإنترنت: أطلقت الوزارة خطاً ساخناً للآباء والمعلمين.", "cp1256"),
    ("保护儿童上网安全：教育部启动了面向家长和教师的培训计划。", "gb18030"),
    ("Çocukların çevrimiçi korunması: bakanlık öğretmenler ve aileler için eğitim programı başlattı.", "cp1254"),
])
def test_other_legacy_encodings_are_left_to_the_detector(text: str, encoding: str) -> None:
    decoded = decode_text(text.encode(encoding))
    assert decoded.text == text, (decoded.encoding, decoded.text)
    assert decoded.note


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read_and_reported(codec: str) -> None:
    data = SAMPLES["de"].encode(codec)
    doc = load_file(Path("de.txt"), data)
    assert "Schülerinnen" in doc.blocks[0].text
    assert doc.warnings and "byte-order mark" in doc.warnings[0]


def test_utf8_with_and_without_bom_is_not_a_guess() -> None:
    for data in (SAMPLES["fr"].encode("utf-8"), SAMPLES["fr"].encode("utf-8-sig")):
        decoded = decode_text(data)
        assert decoded.text == SAMPLES["fr"] and decoded.note is None


def test_loader_keeps_the_guess_as_a_warning() -> None:
    doc = load_file(Path("fr.txt"), SAMPLES["fr"].encode("latin-1"))
    assert "l'école, les élèves" in doc.blocks[0].text
    assert doc.warnings == ["not UTF-8: read as latin-1 (guessed; the text reads as 'fr')"]


def test_bytes_no_sensible_encoding_reads_are_refused() -> None:
    noise = bytes(range(0x80, 0x100)) * 40  # high bytes with no language in them
    with pytest.raises(LoadError):
        load_file(Path("noise.txt"), b"abc " + noise)
