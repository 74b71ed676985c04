#!/usr/bin/env python3
"""Writes tests/data/docling/extra/picture_text.pdf: one A4 page with a line of PDF text and,
below it, a greyscale image (drawn with PIL in DejaVu Sans) that shows text of its own, so
that OCR of picture regions ("text in images") has a case whose truth is known: the image's
words are IMAGE_WORDS below; the PDF text layer holds only PAGE_TEXT.

The PDF is written by hand (catalog, page, Helvetica, one Flate image XObject) to stay small.
Needs Pillow:  /work/venv-dev/bin/python tools/docling/make_picture_text_pdf.py
"""
import io
import os
import zlib

from PIL import Image, ImageDraw, ImageFont

PAGE_TEXT = "The figure below is a bitmap with words drawn into it."
IMAGE_WORDS = ["Quarterly", "revenue", "grew", "by", "seven", "percent"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/data/docling/extra/picture_text.pdf")


def image_bytes():
    img = Image.new("L", (1100, 220), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 44)
    draw.rectangle([4, 4, 1095, 215], outline=0, width=4)
    draw.text((40, 70), " ".join(IMAGE_WORDS), font=font, fill=0)
    return img.width, img.height, zlib.compress(img.tobytes(), 9)


def main():
    w, h, data = image_bytes()
    content = (f"BT /F1 12 Tf 72 760 Td ({PAGE_TEXT}) Tj ET\n"
               f"q 450 0 0 110 72 600 cm /Im1 Do Q\n").encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(data))
        + data + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    with open(OUT, "wb") as f:
        f.write(out.getvalue())
    print(f"wrote {OUT} ({out.tell()} bytes)")


if __name__ == "__main__":
    main()
