"""Generate the fake library's media: JPEG/PNG images with EXIF, and a tiny MP4 video.

Everything is deterministic (same inputs, same bytes) so checksums are stable, and lazy: the
server only renders an image when a client asks for it (see `MediaCache`).
"""

from __future__ import annotations

from datetime import datetime
import hashlib
import io
import struct
from typing import Final

from PIL import Image, ImageDraw

THUMBNAIL_SIZE: Final = 250
PREVIEW_SIZE: Final = 1440

_EXIF_IFD: Final = 0x8769
_TAG_MAKE: Final = 0x010F
_TAG_MODEL: Final = 0x0110
_TAG_DATETIME: Final = 0x0132
_TAG_DATETIME_ORIGINAL: Final = 0x9003


def _palette(seed: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha1(seed.encode(), usedforsecurity=False).digest()
    return (digest[0], digest[1], digest[2]), (digest[3], digest[4], digest[5])


def render_image(
    label: str,
    width: int,
    height: int,
    *,
    fmt: str = "JPEG",
    taken_at: datetime | None = None,
    make: str | None = None,
    model: str | None = None,
) -> bytes:
    """Render a gradient picture with a label; JPEGs carry EXIF dates and camera."""
    start, end = _palette(label)
    image = Image.new("RGB", (width, height), start)
    draw = ImageDraw.Draw(image)
    # Horizontal bands are cheap to draw and compress well, unlike per-pixel gradients.
    steps = 16
    for i in range(steps):
        mix = i / (steps - 1)
        color = tuple(int(a + (b - a) * mix) for a, b in zip(start, end, strict=True))
        draw.rectangle((0, i * height // steps, width, (i + 1) * height // steps), fill=color)
    draw.rectangle(
        (width // 10, height // 10, width // 10 + 20, height // 10 + 20), fill=(255,) * 3
    )
    draw.text((width // 10, height // 10 + 30), label, fill=(255, 255, 255))
    out = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        if make:
            exif[_TAG_MAKE] = make
        if model:
            exif[_TAG_MODEL] = model
        if taken_at is not None:
            stamp = taken_at.strftime("%Y:%m:%d %H:%M:%S")
            exif[_TAG_DATETIME] = stamp
            exif.get_ifd(_EXIF_IFD)[_TAG_DATETIME_ORIGINAL] = stamp
        image.save(out, "JPEG", quality=80, exif=exif.tobytes())
    else:
        image.save(out, fmt)
    return out.getvalue()


def resize_jpeg(data: bytes, longest: int) -> bytes:
    """Return a JPEG whose longest side is at most `longest` pixels."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
        rgb.thumbnail((longest, longest))
        out = io.BytesIO()
        rgb.save(out, "JPEG", quality=75)
        return out.getvalue()


def to_webp(data: bytes) -> bytes:
    """Return an image as WebP, the format Immich makes its thumbnails in."""
    with Image.open(io.BytesIO(data)) as image:
        out = io.BytesIO()
        image.convert("RGB").save(out, "WEBP", quality=80)
        return out.getvalue()


# --- MP4 ---------------------------------------------------------------------------------------
# A hand-built ISO BMFF file with one video track of Motion-JPEG samples (sample entry `mp4v`
# with ESDS object type 0x6C, "Visual ISO/IEC 10918-1", the registered JPEG type). It is a
# structurally valid MP4 that parsers (ffprobe, mp4box) read; no video encoder is needed.


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *payload)


_MATRIX: Final = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _descriptor(tag: int, payload: bytes) -> bytes:
    return bytes([tag, len(payload)]) + payload


def build_mp4(frames: list[bytes], width: int, height: int, fps: int) -> bytes:
    """Build an MP4 file whose video samples are the given JPEG frames."""
    timescale = fps * 100
    sample_delta = 100
    duration = len(frames) * sample_delta
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isom", b"iso2", b"mp41")
    mvhd = _full_box(
        b"mvhd", 0, 0,
        struct.pack(">IIII", 0, 0, timescale, duration),
        struct.pack(">IH", 0x10000, 0x100), b"\0" * 10, _MATRIX, b"\0" * 24,
        struct.pack(">I", 2),
    )  # fmt: skip
    tkhd = _full_box(
        b"tkhd", 0, 3,
        struct.pack(">IIIII", 0, 0, 1, 0, duration),
        b"\0" * 8, struct.pack(">hhhH", 0, 0, 0, 0), _MATRIX,
        struct.pack(">II", width << 16, height << 16),
    )  # fmt: skip
    mdhd = _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, duration, 0x55C4, 0))
    hdlr = _full_box(b"hdlr", 0, 0, struct.pack(">I", 0), b"vide", b"\0" * 12, b"VideoHandler\0")
    vmhd = _full_box(b"vmhd", 0, 1, b"\0" * 8)
    dinf = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))
    decoder_config = _descriptor(0x04, bytes([0x6C, 0x11]) + b"\0\0\0" + struct.pack(">II", 0, 0))
    es = _descriptor(0x03, struct.pack(">HB", 1, 0) + decoder_config + _descriptor(0x06, b"\x02"))
    esds = _full_box(b"esds", 0, 0, es)
    visual_entry = _box(
        b"mp4v",
        b"\0" * 6, struct.pack(">H", 1), b"\0" * 16,
        struct.pack(">HH", width, height), struct.pack(">II", 0x480000, 0x480000),
        struct.pack(">I", 0), struct.pack(">H", 1), b"\0" * 32,
        struct.pack(">Hh", 0x18, -1), esds,
    )  # fmt: skip
    stsd = _full_box(b"stsd", 0, 0, struct.pack(">I", 1), visual_entry)
    stts = _full_box(b"stts", 0, 0, struct.pack(">III", 1, len(frames), sample_delta))
    stsc = _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(frames), 1))
    stsz = _full_box(
        b"stsz",
        0,
        0,
        struct.pack(">II", 0, len(frames)),
        *(struct.pack(">I", len(f)) for f in frames),
    )
    stss = _full_box(b"stss", 0, 0, struct.pack(">I", len(frames)),
                     *(struct.pack(">I", i + 1) for i in range(len(frames))))  # fmt: skip

    def moov(chunk_offset: int) -> bytes:
        stco = _full_box(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset))
        stbl = _box(b"stbl", stsd, stts, stss, stsc, stsz, stco)
        minf = _box(b"minf", vmhd, dinf, stbl)
        mdia = _box(b"mdia", mdhd, hdlr, minf)
        trak = _box(b"trak", tkhd, mdia)
        return _box(b"moov", mvhd, trak)

    # moov goes first ("fast start"), so its size is fixed before the offset is known.
    moov_size = len(moov(0))
    mdat_payload = b"".join(frames)
    chunk_offset = len(ftyp) + moov_size + 8
    return ftyp + moov(chunk_offset) + _box(b"mdat", mdat_payload)


def render_video(label: str, *, width: int = 320, height: int = 240, seconds: int = 3) -> bytes:
    """Render a short Motion-JPEG MP4 (2 frames a second)."""
    fps = 2
    frames = [render_image(f"{label} {i + 1}", width, height) for i in range(seconds * fps)]
    return build_mp4(frames, width, height, fps)


def mp4_boxes(data: bytes) -> list[str]:
    """List the top-level box types of an MP4 file (used by tests)."""
    kinds: list[str] = []
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        kinds.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return kinds


class SyntheticBody:
    """A large original generated on the fly in constant memory: byte ``i`` is ``i % 251``.

    The period is prime, so a range at the wrong offset cannot produce the right bytes.
    """

    PERIOD: Final = 251
    MAX_CHUNK: Final = 64 * 1024

    def __init__(self, size: int) -> None:
        self.size = size
        self._block = bytes(i % self.PERIOD for i in range(self.MAX_CHUNK + self.PERIOD))

    def chunk(self, offset: int, length: int) -> bytes:
        """Return ``length`` (at most ``MAX_CHUNK``) bytes starting at ``offset``."""
        start = offset % self.PERIOD
        return self._block[start : start + min(length, self.MAX_CHUNK)]

    def expected(self, start: int, end: int) -> bytes:
        """Return the bytes ``start`` to ``end`` inclusive (for tests of small ranges)."""
        return bytes(i % self.PERIOD for i in range(start, end + 1))
