#!/usr/bin/env python3
"""Writes the tiny images the header readers are tested on (tests/providers/image_size.cpp),
and the seeds of the image_size fuzz target (fuzz/corpus/image_size/).

Every byte is written here by hand, from the formats' specifications, so the files need no
imaging library and no download. Each sample has a size of its own, so a reader that swaps
width and height or reads another file's field fails.

- PNG (sample.png, 37 x 21): signature, IHDR, one IDAT of zlib-compressed rows, IEND; a whole,
  decodable grey image.
- GIF (sample.gif, 45 x 17): a 45 x 17 logical screen holding one 1 x 1 image.
- JPEG baseline (baseline.jpg, 50 x 30) and progressive (progressive.jpg, 33 x 65): grey,
  one component, every block's coefficients zero, coded with one-symbol Huffman tables; the
  Huffman tables (marker C4, inside the start-of-frame range) and APP/COM segments come before
  the frame header, as in files from cameras.
- WebP lossy (lossy.webp, 120 x 90, `VP8 `), lossless (lossless.webp, 61 x 29, `VP8L`) and
  extended (extended.webp, 300 x 200, `VP8X` then `VP8L`): the RIFF container and each frame
  header are exact; the coded picture after the header is zero bytes, which a header reader
  never looks at and a decoder would refuse.

Run from anywhere: python3 tests/data/images/make_images.py
"""
import pathlib
import struct
import zlib

HERE = pathlib.Path(__file__).resolve().parent
SEEDS = HERE.parent.parent.parent / "fuzz" / "corpus" / "image_size"


def png(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey, no interlace
    rows = b"".join(b"\x00" + bytes([0x80]) * width for _ in range(height))  # filter 0, mid grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def gif(width, height):
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0)  # a global table of 2 colours
    colours = b"\xff\xff\xff\x00\x00\x00"
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"  # one pixel
    return b"GIF89a" + screen + colours + image + b"\x3b"


def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def one_symbol_table(table_class):
    """A Huffman table of one code, '0', for symbol 0: DC 'no difference', AC 'end of block'."""
    return segment(0xC4, bytes([table_class << 4]) + bytes([1] + [0] * 15) + b"\x00")


def zero_blocks(blocks, bits_per_block):
    """The entropy-coded data of blocks whose every code is '0', padded with 1 bits."""
    bits = "0" * (blocks * bits_per_block)
    bits += "1" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def jpeg_head():
    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    comment = segment(0xFE, b"governed header-reader sample")
    quant = segment(0xDB, b"\x00" + bytes([1] * 64))
    return b"\xff\xd8" + jfif + comment + quant


def frame(marker, width, height):
    return segment(marker, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")


def scan(spectral_start, spectral_end, tables):
    return segment(0xDA, bytes([1, 1, tables, spectral_start, spectral_end, 0]))


def jpeg_baseline(width, height):
    blocks = -(-width // 8) * -(-height // 8)
    tables = one_symbol_table(0) + one_symbol_table(1)
    return (jpeg_head() + tables + frame(0xC0, width, height) + scan(0, 63, 0x00) +
            zero_blocks(blocks, 2) + b"\xff\xd9")


def jpeg_progressive(width, height):
    blocks = -(-width // 8) * -(-height // 8)
    dc = one_symbol_table(0) + frame(0xC2, width, height) + scan(0, 0, 0x00) + zero_blocks(blocks, 1)
    ac = one_symbol_table(1) + scan(1, 63, 0x00) + zero_blocks(blocks, 1)
    return jpeg_head() + dc + ac + b"\xff\xd9"


def riff(chunks):
    body = b"WEBP" + b"".join(kind + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) % 2)
                              for kind, data in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def vp8(width, height):
    picture = b"\x00" * 16
    # Frame tag: key frame (bit 0 = 0), version 0, shown (bit 4), first partition size.
    tag = (0 | 0 << 1 | 1 << 4 | len(picture) << 5).to_bytes(3, "little")
    return tag + b"\x9d\x01\x2a" + struct.pack("<HH", width, height) + picture


def vp8l(width, height):
    fields = (width - 1) | (height - 1) << 14  # no alpha, version 0
    return b"\x2f" + struct.pack("<I", fields) + b"\x00" * 8


def vp8x(width, height):
    return b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")


SAMPLES = {
    "sample.png": png(37, 21),
    "sample.gif": gif(45, 17),
    "baseline.jpg": jpeg_baseline(50, 30),
    "progressive.jpg": jpeg_progressive(33, 65),
    "lossy.webp": riff([(b"VP8 ", vp8(120, 90))]),
    "lossless.webp": riff([(b"VP8L", vp8l(61, 29))]),
    "extended.webp": riff([(b"VP8X", vp8x(300, 200)), (b"VP8L", vp8l(300, 200))]),
}


def long_jpeg():
    """APP segments filling the first 64 KiB, then the frame: past what the reader walks."""
    filler = b"".join(segment(0xE1, b"\x00" * 16000) for _ in range(5))
    return b"\xff\xd8" + filler + frame(0xC0, 64, 48) + b"\xff\xd9"


def many_segments_jpeg():
    """Thousands of empty comment segments (four bytes each) before the frame header."""
    return b"\xff\xd8" + segment(0xFE, b"") * 6000 + frame(0xC0, 640, 480) + b"\xff\xd9"


def main():
    for name, data in SAMPLES.items():
        (HERE / name).write_bytes(data)
    SEEDS.mkdir(parents=True, exist_ok=True)
    seeds = dict(SAMPLES, **{"long.jpg": long_jpeg(), "many_segments.jpg": many_segments_jpeg()})
    for name, data in seeds.items():
        (SEEDS / name).write_bytes(data)


if __name__ == "__main__":
    main()
