"""Renders the style picker's previews: the sample photo, small, in every style.

Committed under ``web/static/web/styles/`` so the picker costs nothing at request time, is
cached like any static file and needs no image work (or extra CSP source) in the browser.
Run it again after adding or changing a style; a test checks every style has its preview.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from PIL import Image, ImageOps

from imaging.styles import STYLES, style_apply

SOURCE = Path(settings.BASE_DIR) / "examples" / "harbour.jpg"
TARGET = Path(__file__).resolve().parents[2] / "static" / "web" / "styles"
# Square, twice the size it is shown at (about 72 CSS px), for sharp previews on HiDPI.
EDGE = 144


class Command(BaseCommand):
    help = "Renders examples/harbour.jpg small in every style into web/static/web/styles/."

    def handle(self, *args: object, **options: object) -> None:
        with Image.open(SOURCE) as source:
            base = ImageOps.fit(
                ImageOps.exif_transpose(source).convert("RGB"),
                (EDGE, EDGE),
                Image.Resampling.LANCZOS,
            )
        TARGET.mkdir(parents=True, exist_ok=True)
        for name in STYLES:
            styled = style_apply(base.copy(), name).convert("RGB")
            styled.save(TARGET / f"{name}.jpg", "JPEG", quality=78, optimize=True, progressive=True)
        self.stdout.write(f"Wrote {len(STYLES)} previews to {TARGET}.")
