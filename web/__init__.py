"""The web app: server-rendered pages at / over the images and users apps' reads and services."""
