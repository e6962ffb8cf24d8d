"""Two OCR engines on pages whose text is known: Tesseract (Debian package) and RapidOCR (weights in its wheel).

    .venv/bin/python bench/ocr_engines.py [--engines tesseract,rapidocr] [--out bench/out/ocr_engines.json]

Pages: for each of the six UN languages (en fr es ru ar zh), a short passage written for this bench is drawn
by PIL (libraqm shapes Arabic) on an A4 page at 300 dpi in three styles: a sans font at 11 pt; a serif (or the
one font that has the script) at 9 pt turned 0.8 degrees with light noise; 14 pt turned -1.5 degrees, noisier and
slightly blurred, as a scanner might give it. Each engine reads the PNG; its text and the known text are
compared after collapsing white space (all spaces dropped for Chinese):
- CER: character error rate = Levenshtein distance / known length (lower is better; over 1 when it adds text);
- s/page: wall seconds per page, one thread (OMP_THREAD_LIMIT=1 for Tesseract, intra-op 1 for onnxruntime);
- the engine's confidence, as the loader would record it (Tesseract: mean word confidence).
Tesseract is run twice: with the page's own language pack (`-l fra`) and with all six packs at once
(`eng+fra+spa+rus+ara+chi_sim`, what the loader uses when it does not know the language).

RapidOCR runs when `rapidocr_onnxruntime` is importable (it is not a project dependency: install it into a
separate environment to compare, e.g. `pip install rapidocr-onnxruntime==1.4.4`, and run this script with that
environment's Python); its models read Chinese and Latin letters only. Writes the rows to --out.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import random
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.ocr import OcrSettings, ocr_image  # noqa: E402

FONTS = Path("/usr/share/fonts/truetype")
SANS, SERIF = FONTS / "dejavu/DejaVuSans.ttf", FONTS / "liberation/LiberationSerif-Regular.ttf"
CJK = FONTS / "wqy/wqy-microhei.ttc"
PASSAGES = {
    "en": "Children meet strangers online long before they meet them at school. The working group asks member "
          "states to report how helplines, schools and platforms share what they learn about grooming, and "
          "which measures reduced the harm in 2023.",
    "fr": "Les enfants rencontrent des inconnus en ligne bien avant l'école. Le groupe de travail demande aux "
          "États membres de décrire comment les lignes d'écoute, les écoles et les plateformes partagent ce "
          "qu'elles apprennent, et quelles mesures ont réduit les préjudices.",
    "es": "Los niños conocen a desconocidos en línea mucho antes que en la escuela. El grupo de trabajo pide a "
          "los Estados miembros que expliquen cómo las líneas de ayuda, las escuelas y las plataformas comparten "
          "lo que aprenden y qué medidas redujeron el daño.",
    "ru": "Дети встречают незнакомцев в сети задолго до школы. Рабочая группа просит государства-члены "
          "рассказать, как телефоны доверия, школы и платформы делятся тем, что узнают, и какие меры "
          "уменьшили вред в 2023 году.",
    "ar": "يلتقي الأطفال بالغرباء عبر الإنترنت قبل المدرسة بوقت طويل. ويطلب الفريق العامل من الدول الأعضاء أن "
          "تبين كيف تتبادل خطوط المساعدة والمدارس والمنصات ما تتعلمه، وما التدابير التي قللت الضرر.",
    "zh": "儿童在上学之前很久就在网上遇到陌生人。工作组请成员国说明求助热线、学校和平台如何分享所了解的情况，"
          "以及哪些措施在二〇二三年减少了伤害。",
}
TESSERACT_PACK = {"en": "eng", "fr": "fra", "es": "spa", "ru": "rus", "ar": "ara", "zh": "chi_sim"}
ALL_PACKS = "eng+fra+spa+rus+ara+chi_sim"
STYLES = [  # (name, font for Latin/Cyrillic, points, degrees, noise amplitude, blur radius)
    ("sans 11pt", SANS, 11, 0.0, 0, 0.0),
    ("serif 9pt, 0.8°, noise", SERIF, 9, 0.8, 40, 0.0),
    ("sans 14pt, -1.5°, noise, blur", SANS, 14, -1.5, 70, 0.7),
]


def render_page(text: str, lang: str, font_path: Path, points: int, degrees: float, noise: int,
                blur: float, seed: int) -> bytes:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    if lang == "zh":
        font_path = CJK
    elif lang == "ar":
        font_path = SANS  # DejaVu Sans has the Arabic letters, Liberation Serif does not
    dpi, width, height = 300, 2480, 3508
    font = ImageFont.truetype(str(font_path), round(points * dpi / 72))
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    margin, y = 250, 300
    direction = "rtl" if lang == "ar" else None
    for line in wrap(text, font, width - 2 * margin, lang):
        if direction:
            length = draw.textlength(line, font=font, direction=direction)
            draw.text((width - margin - length, y), line, font=font, fill=0, direction=direction)
        else:
            draw.text((margin, y), line, font=font, fill=0)
        y += round(font.size * 1.5)
    if degrees:
        page = page.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)
    if noise:
        rng = random.Random(seed)
        pixels = page.load()
        for _ in range(width * height // 60):
            x, yy = rng.randrange(width), rng.randrange(height)
            pixels[x, yy] = max(0, min(255, pixels[x, yy] + rng.randint(-noise, noise)))
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    page.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def wrap(text: str, font, width: int, lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Greedy line breaking by measured width: by words, by characters for Chinese."""
    units = list(text) if lang == "zh" else text.split()
    joiner = "" if lang == "zh" else " "
    lines: list[str] = []
    current = ""
    for unit in units:
        trial = f"{current}{joiner}{unit}" if current else unit
        if font.getlength(trial) > width and current:
            lines.append(current)
            current = unit
        else:
            current = trial
    return lines + ([current] if current else [])


def normalise(text: str, lang: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()) if lang == "zh" else " ".join(text.split())


def cer(truth: str, read: str) -> float:
    """Levenshtein distance (insert, delete, substitute: 1 each) over the truth's length."""
    previous = list(range(len(read) + 1))
    for i, a in enumerate(truth, start=1):
        current = [i]
        for j, b in enumerate(read, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1] / max(len(truth), 1)


def run_tesseract(png: bytes, languages: str) -> tuple[str, float | None]:
    page = ocr_image(png, OcrSettings(page_seconds=300), languages)
    return "\n".join(p.text for p in page.paragraphs), page.confidence


def rapidocr_reader():  # type: ignore[no-untyped-def]
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        return None
    return RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)


def run_rapidocr(engine, png: bytes) -> tuple[str, float | None]:  # type: ignore[no-untyped-def]
    result, _ = engine(png)
    if not result:
        return "", None
    texts = [r[1] for r in result]
    scores = [float(r[2]) for r in result]
    return "\n".join(texts), sum(scores) / len(scores)


REAL_PAGES = [(lang, f"multilingual_child_online_safety/{lang}__{name}.pdf", page)
              for lang in ("en", "fr", "ar") for name in ("online_code_of_behaviour_for_young_people",
                                                        "safeguarding_code_of_behaviour_for_volunteers")
              for page in (1, 2) if not (page == 2 and name.startswith("online"))]
REAL_PAGES += [("es", "multilingual_child_online_safety/es__parent_guide_supporting_online_coding_session.pdf", p)
               for p in (1, 2)]


def real_page_recall(folder: Path) -> list[dict[str, object]]:
    """Real pages with a text layer, rendered at 300 dpi and read by Tesseract with the page's pack: the share of
    the text layer's words (case-folded, as a multiset) that OCR reads back. Order-free, as the text layer's
    reading order is not the layout's."""
    import re
    from collections import Counter

    from ingest.pdf_text import read_pdf, render_page_png

    rows: list[dict[str, object]] = []
    for lang, name, page in REAL_PAGES:
        path = folder / name
        if not path.exists():
            continue
        data = path.read_bytes()
        known = Counter(re.findall(r"\w+", unicodedata.normalize("NFKC", read_pdf(data).pages[page - 1]).casefold()))
        started = time.perf_counter()
        read, _ = run_tesseract(render_page_png(data, page - 1, 300), TESSERACT_PACK[lang])
        seconds = time.perf_counter() - started
        got = Counter(re.findall(r"\w+", unicodedata.normalize("NFKC", read).casefold()))
        recall = sum((known & got).values()) / max(sum(known.values()), 1)
        rows.append({"lang": lang, "file": name, "page": page, "words": sum(known.values()),
                     "word_recall": round(recall, 3), "seconds": round(seconds, 2)})
        print(f"real {lang} {name[33:]:50} p. {page}  words {sum(known.values()):4}  recall {recall:.3f}  {seconds:4.1f} s",
              flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="tesseract,tesseract-all,rapidocr")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "ocr_engines.json")
    parser.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "data" / "policy_pdfs",
                        help="folder of the policy PDFs whose pages with a text layer are read back by Tesseract")
    args = parser.parse_args()
    engines = args.engines.split(",")
    rapid = rapidocr_reader() if "rapidocr" in engines else None
    if "rapidocr" in engines and rapid is None:
        print("rapidocr_onnxruntime is not importable here: RapidOCR skipped")
        engines.remove("rapidocr")
    rows = []
    for lang, text in PASSAGES.items():
        truth = normalise(text, lang)
        for seed, (style, font, points, degrees, noise, blur) in enumerate(STYLES):
            png = render_page(text, lang, font, points, degrees, noise, blur, seed)
            for engine in engines:
                started = time.perf_counter()
                if engine == "tesseract":
                    read, confidence = run_tesseract(png, TESSERACT_PACK[lang])
                elif engine == "tesseract-all":
                    read, confidence = run_tesseract(png, ALL_PACKS)
                else:
                    read, confidence = run_rapidocr(rapid, png)
                seconds = time.perf_counter() - started
                rows.append({"lang": lang, "style": style, "engine": engine, "cer": round(cer(truth, normalise(read, lang)), 4),
                             "seconds": round(seconds, 2), "confidence": None if confidence is None else round(confidence, 3),
                             "read": read[:160]})
                print(f"{lang} {style:32} {engine:14} CER {rows[-1]['cer']:.3f}  {seconds:5.1f} s  conf {confidence}",
                      flush=True)
    print("\nmean per language (three styles): CER / seconds per page")
    print(f"{'engine':14}" + "".join(f"{lang:>15}" for lang in PASSAGES) + f"{'all':>15}")
    for engine in engines:
        cells = []
        for lang in [*PASSAGES, None]:
            mine = [r for r in rows if r["engine"] == engine and (lang is None or r["lang"] == lang)]
            cells.append(f"{sum(r['cer'] for r in mine) / len(mine):.3f} / {sum(r['seconds'] for r in mine) / len(mine):4.1f}")
        print(f"{engine:14}" + "".join(f"{c:>15}" for c in cells))
    real = real_page_recall(args.real) if "tesseract" in engines else []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": platform.processor() or platform.machine(), "rows": rows, "real": real},
                                   ensure_ascii=False, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
