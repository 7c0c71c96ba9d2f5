"""Private galleries: images, their renditions, styles and owner-only delivery."""
