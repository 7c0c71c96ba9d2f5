"""Pictures as bytes and pixels, with no Django in sight.

Decoding with bounded cost (``processing``), colour to sRGB (``color``), the styles
(``styles``), EXIF reading (``exif``), metadata stripping (``strip``) and one bounded segment
walker per container format (``containers``), shared by upload validation, rendering and
stripping. Nothing here knows
about requests, models or storage, so it can be tested, benchmarked and fuzzed on bytes alone;
``tests/test_architecture.py`` keeps Django and the apps out.
"""
