"""Draw Immich Hub's brand images: icon.png, icon@2x.png, logo.png and logo@2x.png.

A rounded photo frame in warm colours with a sun over two hills, and a small house-shaped hub
mark (a house with three connected dots) in its lower right corner. They live in the
integration's own ``brand/`` folder, which Home Assistant serves from 2026.3 on. Run from anywhere:

    .venv/bin/python scripts/draw_brand.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent.parent / "custom_components" / "immich_hub" / "brand"
SCALE = 4  # drawn larger, then scaled down, for smooth edges

FRAME = (255, 244, 228)
SKY_TOP = (255, 183, 77)
SKY_BOTTOM = (255, 112, 67)
SUN = (255, 241, 118)
HILL_BACK = (216, 67, 21)
HILL_FRONT = (141, 48, 32)
BORDER = (109, 40, 24)
HUB = (38, 70, 83)
HUB_LIGHT = (255, 255, 255)
TEXT = (60, 40, 30)


def _gradient(size: tuple[int, int], top: tuple[int, ...], bottom: tuple[int, ...]) -> Image.Image:
    """Return a vertical gradient."""
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / max(height - 1, 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    return image


def icon(size: int) -> Image.Image:
    """Return the square icon, ``size`` pixels wide, on a transparent background."""
    s = size * SCALE
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    # The frame.
    margin = round(s * 0.04)
    radius = round(s * 0.18)
    draw.rounded_rectangle(
        [margin, margin, s - margin, s - margin],
        radius=radius,
        fill=FRAME,
        outline=BORDER,
        width=round(s * 0.03),
    )
    # The photo: sky, sun, hills, clipped to a rounded rectangle.
    inset = round(s * 0.13)
    box = (inset, inset, s - inset, s - inset)
    photo_size = (box[2] - box[0], box[3] - box[1])
    photo = _gradient(photo_size, SKY_TOP, SKY_BOTTOM).convert("RGBA")
    pdraw = ImageDraw.Draw(photo)
    w, h = photo_size
    pdraw.ellipse([w * 0.56, h * 0.14, w * 0.84, h * 0.42], fill=SUN)
    pdraw.polygon(
        [(0, h * 0.78), (w * 0.38, h * 0.36), (w * 0.8, h * 0.86), (w, h), (0, h)], fill=HILL_BACK
    )
    pdraw.polygon([(w * 0.2, h), (w * 0.62, h * 0.5), (w * 1.0, h * 0.8), (w, h)], fill=HILL_FRONT)
    mask = Image.new("L", photo_size, 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, w - 1, h - 1], radius=round(s * 0.09), fill=255)
    image.paste(photo, box[:2], mask)
    # The hub mark: a house badge with three connected dots, over the lower right corner.
    cx, cy, r = s * 0.74, s * 0.74, s * 0.2
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=HUB, outline=FRAME, width=round(s * 0.025))
    roof = [(cx - r * 0.62, cy - r * 0.05), (cx, cy - r * 0.62), (cx + r * 0.62, cy - r * 0.05)]
    draw.line(roof, fill=HUB_LIGHT, width=round(r * 0.13), joint="curve")
    dots = [(cx - r * 0.3, cy + r * 0.38), (cx + r * 0.3, cy + r * 0.38), (cx, cy + r * 0.02)]
    draw.line([*dots, dots[0]], fill=HUB_LIGHT, width=round(r * 0.07))
    dot = r * 0.13
    for x, y in dots:
        draw.ellipse([x - dot, y - dot, x + dot, y + dot], fill=SUN)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _font(height: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Return a bold sans-serif font of about this pixel height, or Pillow's default."""
    for name in (
        "DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ):
        try:
            return ImageFont.truetype(name, height)
        except OSError:
            continue
    return ImageFont.load_default(height)


def logo(height: int) -> Image.Image:
    """Return the icon followed by the words "Immich Hub", ``height`` pixels tall."""
    mark = icon(height)
    font = _font(round(height * 0.42))
    text = "Immich Hub"
    left, top, right, bottom = font.getbbox(text)
    gap = round(height * 0.12)
    width = height + gap + round(right - left) + round(height * 0.08)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.paste(mark, (0, 0), mark)
    draw = ImageDraw.Draw(image)
    y = (height - (bottom - top)) / 2 - top
    draw.text((height + gap - left, y), text, font=font, fill=TEXT)
    return image


def main() -> None:
    """Write the four images next to this script."""
    icon(256).save(HERE / "icon.png", optimize=True)
    icon(512).save(HERE / "icon@2x.png", optimize=True)
    logo(256).save(HERE / "logo.png", optimize=True)
    logo(512).save(HERE / "logo@2x.png", optimize=True)


if __name__ == "__main__":
    main()
