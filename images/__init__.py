"""Private galleries: images, albums, the trash and share links; who may see what (``access``).

The pixel work (decoding, styles, EXIF, stripping) is ``imaging``'s, which knows no Django;
this app keeps the rows, the files in storage (``files``) and what each caller is served.
"""
