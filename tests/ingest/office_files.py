"""Real office files made in the test: a slide deck with python-pptx, an OpenDocument text with zipfile.

Both are written the way their programs write them (a deck from python-pptx's default template; an ODT with
its `mimetype` part first and uncompressed, the content in content.xml), so the loaders meet real packages.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

NOTE = "Remember to thank the district coordinators who ran the Zomba pilot."
TABLE_CELL = "moderator training curriculum"


RESULT = "The helpline answered 4,200 calls from children in 2023."


def make_deck(path: Path, results_title: str = "Results") -> Path:
    """Six slides: a title slide, a `results_title` slide with speaker notes, a table, a group of three text
    boxes added out of reading order, a picture alone, and a closing slide."""
    from PIL import Image
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.title = "Keeping children safe online in Malawi"
    slide = deck.slides.add_slide(deck.slide_layouts[0])  # title slide
    slide.shapes.title.text = "Keeping children safe online in Malawi"
    slide.placeholders[1].text = "Ministry of Information and Digitalization, Malawi"
    slide = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
    slide.shapes.title.text = results_title
    body = slide.placeholders[1].text_frame
    body.text = RESULT  # no results cue of its own: it shows results only under its slide's title
    body.add_paragraph().text = "Calls came from every region of the country."
    slide.notes_slide.notes_text_frame.text = NOTE
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = "Partners"
    table = slide.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(8), Inches(2)).table
    rows = [("Partner", "Role"), ("UNICEF", "funding of the national helpline"), ("ECPAT", TABLE_CELL)]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "How the programme works"
    group = slide.shapes.add_group_shape()  # added out of reading order on purpose
    for left, top, text in ((5, 2, "Children call the helpline"), (1, 4, "Cases go to the police unit"),
                            (1, 2, "Schools display the number")):
        group.shapes.add_textbox(Inches(left), Inches(top), Inches(3), Inches(1)).text_frame.text = text
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank: a picture alone
    image = io.BytesIO()
    Image.new("RGB", (64, 48), "steelblue").save(image, "PNG")
    image.seek(0)
    slide.shapes.add_picture(image, Inches(1), Inches(1))
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Next steps"
    slide.placeholders[1].text = "Extend the helpline to text messages in 2025."
    deck.save(str(path))
    return path


_ODT_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"')

ODT_BODY = """
<text:p text:style-name="P1">National strategy for child online protection</text:p>
<text:h text:outline-level="1">1 Background</text:h>
<text:p>The ministry consulted <text:span>children,</text:span><text:s text:c="3"/>parents and teachers in 2023.</text:p>
<text:h text:outline-level="2">1.1 Results</text:h>
<text:p>Reports of online abuse fell by a quarter after the campaign.</text:p>
<text:soft-page-break/>
<text:list>
  <text:list-item><text:p>a national helpline</text:p></text:list-item>
  <text:list-item><text:p>training for teachers</text:p>
    <text:list><text:list-item><text:p>in every district</text:p></text:list-item></text:list>
  </text:list-item>
</text:list>
<table:table table:name="Budget">
  <table:table-header-rows>
    <table:table-row><table:table-cell><text:p>Item</text:p></table:table-cell>
      <table:table-cell><text:p>Amount</text:p></table:table-cell></table:table-row>
  </table:table-header-rows>
  <table:table-row><table:table-cell><text:p>Helpline staff salaries</text:p></table:table-cell>
    <table:table-cell><text:p>120,000 USD</text:p></table:table-cell></table:table-row>
  <table:table-row><table:table-cell table:number-columns-spanned="2"><text:p>Total under review</text:p></table:table-cell>
    <table:covered-table-cell/></table:table-row>
</table:table>
<text:h text:outline-level="1">2 Next steps</text:h>
<text:p>The strategy will be reviewed in 2026.</text:p>
"""


def make_odt(path: Path, body: str = ODT_BODY, title: str = "Child online protection strategy") -> Path:
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODT_NS} office:version="1.3">'
               '<office:automatic-styles><style:style style:name="P1" style:family="paragraph" '
               'style:parent-style-name="Title"/></office:automatic-styles>'
               f'<office:body><office:text>{body}</office:text></office:body></office:document-content>')
    meta = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {_ODT_NS} office:version="1.3">'
            f'<office:meta><dc:title>{title}</dc:title><meta:initial-creator>Ministry of ICT</meta:initial-creator>'
            '</office:meta></office:document-meta>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text",
                         compress_type=zipfile.ZIP_STORED)
        package.writestr("META-INF/manifest.xml", manifest)
        package.writestr("content.xml", content)
        package.writestr("meta.xml", meta)
    return path
