"""The import_images command: good, duplicate and broken files from the old shared folder."""

import io

import pytest
from django.core.management import CommandError, call_command

from images.models import Image
from tests.factories import image_bytes


@pytest.fixture
def old_uploads(tmp_path):
    folder = tmp_path / "uploads"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.jpg").write_bytes(image_bytes("JPEG", color=(10, 20, 30)))
    (folder / "nested" / "b.png").write_bytes(image_bytes("PNG", color=(200, 20, 30)))
    (folder / "copy-of-a.jpg").write_bytes(image_bytes("JPEG", color=(10, 20, 30)))
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.jpg").write_bytes(image_bytes("JPEG", size=(200, 200))[:300])
    return folder


def _run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_images", *args, stdout=out, stderr=err)
    return out.getvalue()


class TestImportImages:
    def test_imports_good_skips_duplicates_and_rejects_broken(
        self, user, other_user, old_uploads, assert_storage_consistent
    ):
        output = _run("--owner", "alice", str(old_uploads))
        assert "imported: 2, skipped: 1, rejected: 2" in output
        assert Image.objects.filter(owner=user).count() == 2
        assert not Image.objects.filter(owner=other_user).exists()
        assert set(Image.objects.values_list("original_filename", flat=True)) <= {
            "a.jpg",
            "b.png",
            "copy-of-a.jpg",
        }
        assert_storage_consistent()

    def test_running_twice_adds_nothing(self, user, old_uploads, assert_storage_consistent):
        _run("--owner", "alice", str(old_uploads))
        output = _run("--owner", "alice", str(old_uploads))
        assert "imported: 0, skipped: 3, rejected: 2" in output
        assert Image.objects.filter(owner=user).count() == 2
        assert_storage_consistent()

    def test_applies_the_style(self, user, old_uploads):
        _run("--owner", "alice", "--style", "sepia", str(old_uploads / "a.jpg"))
        assert Image.objects.get(owner=user).style == "sepia"

    def test_unknown_owner_is_an_error(self, db, old_uploads):
        with pytest.raises(CommandError, match="No user"):
            _run("--owner", "nobody", str(old_uploads))

    def test_missing_path_is_an_error(self, user, tmp_path):
        with pytest.raises(CommandError, match="neither a file nor a folder"):
            _run("--owner", "alice", str(tmp_path / "missing"))


class TestImportChecksum:
    @pytest.mark.parametrize(
        "trailer", [b"<html><script>alert(1)</script></html>", b"PK\x03\x04zip"], ids=str
    )
    def test_file_with_a_trailer_is_skipped_on_the_second_run(self, user, tmp_path, trailer):
        folder = tmp_path / "old"
        folder.mkdir()
        (folder / "polyglot.png").write_bytes(image_bytes("PNG") + trailer)
        assert "imported: 1, skipped: 0" in _run("--owner", "alice", str(folder))
        assert "imported: 0, skipped: 1" in _run("--owner", "alice", str(folder))
        assert Image.objects.filter(owner=user).count() == 1

    def test_imported_file_is_skipped_after_an_upload_of_it(self, user, upload, tmp_path):
        data = image_bytes("JPEG") + b"<html></html>"
        uploaded = upload(data, name="same.jpg")
        (tmp_path / "same.jpg").write_bytes(data)
        assert "imported: 0, skipped: 1" in _run("--owner", "alice", str(tmp_path / "same.jpg"))
        assert Image.objects.get(owner=user).checksum == uploaded["checksum"]
