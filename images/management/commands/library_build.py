"""``manage.py library_build``: a big, realistic library in the database, fast, for measuring.

Issue #22 measures lists, buckets, search and counts for one account of 200,000 pictures among
1,000,000 rows against an account of 100. Uploading that many takes days; this inserts the
rows directly, in batches (COPY on PostgreSQL, ``bulk_create`` elsewhere; every value from its
field's ``pre_save``, so ``timeline_at`` is computed as for an upload), with no file behind
any of them: the benchmarks list and count, they never open a picture. Where the inserts
skip the database's triggers (``_triggers_off``) the counters are recounted after, and the
measured accounts' counters are checked against their rows at the end. The rows are made by
``images.management.library_rows`` (seeded; interleaved across accounts; ~20 years of dates).

The accounts are made through the ORM with a usable password, so the benchmarks log in:
``--username`` (``--images`` pictures, ``--albums`` albums of a few hundred each),
``--username``-small (``--small`` pictures, a few albums) and as many ``--username``-NNNN
accounts of ``--per-account`` pictures as make up ``--total`` rows. Every account's quotas are
raised above what it holds. A database with accounts of these names already is refused
unless ``--replace`` (which deletes them, and their rows, first).

Example: ``manage.py library_build --images 200000 --albums 1000 --total 1000000 --seed 1``.
"""

import contextlib
import math
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count, Q, Sum

from images.counters import counters_audit, counters_repair
from images.management import library_rows
from images.models import Album, AlbumImage, Image
from users.models import User, canonical_name

DEFAULT_PASSWORD = "library-pass-phrase-2026"  # noqa: S105 (made-up accounts, documented)
# Albums of the small account and of every other account.
SMALL_ALBUMS = 3
OTHER_ALBUMS = 3


class Command(BaseCommand):
    """Builds the measurement library and prints what it holds and how long each part took."""

    help = "Insert a large made-up library (rows only, no files) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--images", type=int, default=200_000, help="the big account's")
        parser.add_argument("--albums", type=int, default=1_000, help="the big account's")
        parser.add_argument("--total", type=int, default=1_000_000, help="picture rows in all")
        parser.add_argument("--small", type=int, default=100, help="the small account's")
        parser.add_argument("--per-account", type=int, default=1_000, help="other accounts'")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--username", default="library", help="the big account's name")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="every account's")
        parser.add_argument("--batch", type=int, default=5_000, help="rows per INSERT")
        parser.add_argument(
            "--replace", action="store_true", help="delete this library's accounts first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        big, small = options["images"], options["small"]
        per_account = options["per_account"]
        others = max(0, options["total"] - big - small)
        other_accounts = math.ceil(others / per_account) if others else 0
        name = options["username"]
        names = [name, f"{name}-small", *(f"{name}-{i:04d}" for i in range(other_accounts))]
        self.started = time.monotonic()
        with _triggers_off() as off:
            self._accounts_clear(names, replace=options["replace"])
        rng = random.Random(options["seed"])  # noqa: S311 (made-up rows, seeded)
        end = library_rows.build_end()
        accounts = self._accounts_create(names, options["password"], end)
        counts = [big, small] + [
            min(per_account, others - i * per_account) for i in range(other_accounts)
        ]
        owners = [
            library_rows.owner_plan(rng=rng, owner_id=user.pk, pictures=count, end=end)
            for user, count in zip(accounts, counts, strict=True)
        ]
        self._say(f"{len(accounts)} accounts; planning {sum(counts):,} pictures")
        album_counts = [options["albums"], SMALL_ALBUMS] + [OTHER_ALBUMS] * other_accounts
        with _triggers_off() as off:
            pictures = self._pictures_insert(rng, owners, counts, end, options["batch"])
            self._albums_insert(rng, accounts, pictures, album_counts, end, options["batch"])
        if off:
            for user in accounts:
                counters_repair(owner_id=user.pk)
            self._say("counters recounted (the inserts skipped their triggers)")
        self._quotas_raise(accounts)
        with connection.cursor() as cursor:
            # Fresh planner statistics, as autovacuum would have by the time a library is big.
            cursor.execute("ANALYZE")
        self._say("analyzed; done")
        self._summary(accounts[:2])

    # --- accounts -----------------------------------------------------------------------------

    def _accounts_clear(self, names: list[str], *, replace: bool) -> None:
        existing = User.objects.filter(username_canonical__in=[canonical_name(n) for n in names])
        if not existing.exists():
            return
        if not replace:
            raise CommandError(
                f"accounts named {names[0]!r}… exist already; --replace deletes them first"
            )
        # Albums first: their cover and memberships point at the pictures.
        Album.objects.filter(owner__in=existing).delete()
        deleted = Image.objects.filter(owner__in=existing)._raw_delete(connection.alias)
        existing.delete()
        self._say(f"deleted the earlier library ({deleted:,} pictures)")

    def _accounts_create(self, names: list[str], password: str, end: datetime) -> list[User]:
        """Every account saved one by one (so whatever a new account gets, it gets), the big
        and small ones through ``create_user``, the rest sharing one hash of the password."""
        joined = end - timedelta(days=365.25 * library_rows.YEARS + 30)
        made = [
            User.objects.create_user(username=n, email=f"{n}@example.com", password=password)
            for n in names[:2]
        ]
        hashed = make_password(password)
        with transaction.atomic():
            for n in names[2:]:
                user = User(username=n, email=f"{n}@example.com", password=hashed)
                user.save()
                made.append(user)
            User.objects.filter(pk__in=[u.pk for u in made]).update(date_joined=joined)
        return made

    def _quotas_raise(self, accounts: list[User]) -> None:
        """Room for more in every account, so an upload's quota check passes (and is timed)."""
        usage = (
            Image.objects.filter(owner__in=accounts)
            .values("owner")
            .annotate(stored=Sum("stored_bytes"), pictures=Count("id"))
        )
        for row in usage:
            User.objects.filter(pk=row["owner"]).update(
                quota_bytes=row["stored"] * 2 + 10 * 1024**3,
                quota_images=row["pictures"] * 2 + 10_000,
            )

    # --- pictures ------------------------------------------------------------------------------

    def _pictures_insert(
        self,
        rng: random.Random,
        owners: list[library_rows.Owner],
        counts: list[int],
        end: datetime,
        batch: int,
    ) -> list[list[tuple[uuid.UUID, datetime, bool]]]:
        """Inserts every picture, owners interleaved; returns each owner's (id, created, live)."""
        pictures: list[list[tuple[uuid.UUID, datetime, bool]]] = [[] for _ in owners]
        order = library_rows.owner_order(rng=rng, counts=counts)
        fields = [f for f in Image._meta.concrete_fields]
        known = {f.attname for f in fields}
        rows: list[Image] = []
        done = 0
        with _dates_as_given(Image):
            for index in order:
                values = library_rows.picture_row(rng=rng, owner=owners[index], end=end)
                pictures[index].append(
                    (values["id"], values["created_at"], values["trashed_at"] is None)
                )
                rows.append(Image(**{k: v for k, v in values.items() if k in known}))
                if len(rows) >= batch:
                    done += _insert(Image, rows)
                    rows = []
                    if done % (batch * 20) == 0:
                        self._say(f"{done:,} pictures")
            done += _insert(Image, rows)
        self._say(f"{done:,} pictures inserted")
        return pictures

    # --- albums --------------------------------------------------------------------------------

    def _albums_insert(
        self,
        rng: random.Random,
        accounts: list[User],
        pictures: list[list[tuple[uuid.UUID, datetime, bool]]],
        album_counts: list[int],
        end: datetime,
        batch: int,
    ) -> None:
        """Albums of a few hundred pictures (the big account) or a few dozen (the others)."""
        albums: list[Album] = []
        members: list[AlbumImage] = []
        total_albums = total_members = 0
        with _dates_as_given(Album), _dates_as_given(AlbumImage):
            for user, owned, wanted in zip(accounts, pictures, album_counts, strict=True):
                if not owned:
                    continue
                big = wanted > OTHER_ALBUMS
                for number in range(wanted):
                    size = rng.randint(100, 500) if big else rng.randint(10, 40)
                    chosen = rng.sample(owned, k=min(size, len(owned)))
                    created = min(c for _, c, _ in chosen) + timedelta(hours=rng.uniform(1, 72))
                    created = min(created, end - timedelta(minutes=1))
                    live = [pk for pk, _, alive in chosen if alive]
                    album = Album(
                        id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        owner=user,
                        title=_album_title(rng, number),
                        cover_id=rng.choice(live) if live and rng.random() < 0.7 else None,
                        created_at=created,
                        updated_at=created,
                    )
                    albums.append(album)
                    members += [
                        AlbumImage(album_id=album.id, image_id=pk, added_at=max(created, at))
                        for pk, at, _ in chosen
                    ]
                    if len(members) >= batch:
                        total_albums += _insert(Album, albums)
                        total_members += _insert(AlbumImage, members)
                        albums, members = [], []
            total_albums += _insert(Album, albums)
            total_members += _insert(AlbumImage, members)
        self._say(f"{total_albums:,} albums, {total_members:,} memberships inserted")

    # --- reporting -----------------------------------------------------------------------------

    def _summary(self, accounts: list[User]) -> None:
        for user in accounts:
            held = Image.objects.filter(owner=user).aggregate(
                pictures=Count("id"),
                trashed=Count("id", filter=Q(trashed_at__isnull=False)),
                undated=Count("id", filter=Q(taken_at__isnull=True)),
                stored=Sum("stored_bytes"),
            )
            albums = Album.objects.filter(owner=user).count()
            self.stdout.write(
                f"{user.username}: {held['pictures']:,} pictures ({held['trashed']:,} in the "
                f"trash, {held['undated']:,} undated), {albums:,} albums, "
                f"{(held['stored'] or 0) / 1e9:.1f} GB stored"
            )
        self.stdout.write(f"{Image.objects.count():,} picture rows in all")
        # The measured accounts' counters against a recount of their rows.
        mismatched = counters_audit(owner_ids=[user.pk for user in accounts])
        if mismatched:
            raise CommandError(f"counters disagree with the rows: {mismatched[0]}")
        self.stdout.write("their counters (storage used, pictures per day) agree with the rows")

    def _say(self, message: str) -> None:
        if self.verbosity_ok:
            self.stdout.write(f"[{time.monotonic() - self.started:6.1f} s] {message}")

    verbosity_ok = True

    def execute(self, *args: Any, **options: Any) -> Any:
        self.verbosity_ok = options.get("verbosity", 1) >= 1
        return super().execute(*args, **options)


def _insert(model: type[Any], rows: list[Any]) -> int:
    """Inserts ``rows``: PostgreSQL's COPY where there is one, else ``bulk_create``.

    Both take each value from the field's ``pre_save`` and ``get_db_prep_save``, as Django's
    INSERT compiler does, so a computed field is filled alike; COPY only skips building one
    huge statement (about three times faster here).
    """
    if not rows:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _copy(model, rows)
        else:
            model.objects.bulk_create(rows)
    return len(rows)


def _copy(model: type[Any], rows: list[Any]) -> None:
    # An auto-incremented key is left to the database, as bulk_create leaves it.
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.generated and not (f.primary_key and getattr(rows[0], f.attname) is None)
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    # The connection itself, not the thread-local proxy every attribute access goes through.
    database = connections[DEFAULT_DB_ALIAS]
    with database.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, under Django's wrapper
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(row, True), database) for f in fields]
                )


@contextlib.contextmanager
def _dates_as_given(model: type[Any]) -> Iterator[None]:
    """Lets this process insert the creation and change dates it made up.

    ``auto_now_add``/``auto_now`` would stamp every row with the build's instant; a library's
    uploads are spread over years. Switched off only in this process, and only while inserting.
    """
    switched = []
    for field in model._meta.concrete_fields:
        for flag in ("auto_now", "auto_now_add"):
            if getattr(field, flag, False):
                setattr(field, flag, False)
                switched.append((field, flag))
    try:
        yield
    finally:
        for field, flag in switched:
            setattr(field, flag, True)


@contextlib.contextmanager
def _triggers_off() -> Iterator[bool]:
    """On PostgreSQL as a superuser, this session's inserts skip the triggers; yields whether.

    Two kinds of trigger make a bulk load of a million rows crawl, though neither costs an
    upload anything: the counters' (``images.counters``: each row adds itself to its owner's
    one ``LibraryUsage`` row, so a batch holding 1,000 of the big account's pictures updates
    one row 1,000 times in one transaction, each update walking the versions before it;
    50,000 rows took 85 s instead of 12 s), and the foreign keys' (each membership locks its
    picture's row, a write to a random page of a big table). Every id inserted here was
    inserted by this command a moment before, and the caller recounts the counters after
    (``counters_repair``), so the database ends as the triggers would have left it.
    Elsewhere (SQLite, a non-superuser) the triggers run as usual and nothing is recounted.
    """
    off = False
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            off = bool(row and row[0])
            if off:
                cursor.execute("SET session_replication_role = replica")
    try:
        yield off
    finally:
        if off:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")


def _album_title(rng: random.Random, number: int) -> str:
    subject = rng.choice(library_rows.SUBJECTS)
    city = rng.choice(library_rows.CITIES)[0]
    year = datetime.now(UTC).year - rng.randrange(library_rows.YEARS)
    return f"{subject.capitalize()} {city} {year} #{number + 1}"
