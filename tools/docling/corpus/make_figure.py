#!/usr/bin/env python3
"""Writes figure1.png for tables_figures.fodt: four coloured squares and a small bar chart
on a light grey background, no text (so OCR finds nothing in it). Standard library only."""
import struct
import sys
import zlib

W, H = 240, 160


def pixel(x, y):
    bg = (225, 225, 225)
    squares = [((16, 16), (200, 40, 40)), ((76, 16), (40, 160, 60)),
               ((16, 76), (40, 70, 200)), ((76, 76), (230, 190, 30))]
    for (sx, sy), colour in squares:
        if sx <= x < sx + 52 and sy <= y < sy + 52:
            return colour
    # bar chart on the right: five bars of increasing height, baseline y = 144
    for i, h in enumerate((30, 55, 80, 100, 125)):
        bx = 146 + i * 18
        if bx <= x < bx + 12 and 144 - h <= y < 144:
            return (60, 60, 60)
    if 140 <= x < 236 and y == 144:
        return (0, 0, 0)
    return bg


def chunk(tag, data):
    return (struct.pack(">I", len(data)) + tag + data +
            struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))


def main(path):
    raw = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(W)) for y in range(H))
    png = (b"\x89PNG\r\n\x1a\n" +
           chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)) +
           chunk(b"pHYs", struct.pack(">IIB", 3780, 3780, 1)) +  # 96 dpi
           chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "figure1.png")
