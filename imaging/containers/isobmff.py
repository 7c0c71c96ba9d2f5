"""HEIF and AVIF: the boxes of their ISO base media file, the items of its ``meta`` box and
where their bytes are; the box count, nesting, item count and grid size bounded (reasons
below), every size checked against its container and the file.

A HEIF file (HEIC when its pictures are HEVC, AVIF when they are AV1) is a ``ftyp`` box, a
``meta`` box describing items (coded pictures, grids of tiles, EXIF, XMP) and their
properties (size, colour, rotation), and ``mdat`` boxes holding the items' bytes, which the
``meta`` box's ``iloc`` locates by file offset. What this walk reads is what Atelier needs
before any decoder runs: the format (from the primary item's coding, never the file's name
or brands alone), the picture's size and how many pixels decoding it costs (for a grid,
every tile), its ``nclx`` colour description, where the metadata items are (for stripping)
and where the image's bytes end (anything after is a trailer, cut as a JPEG's is).

Depth maps, thumbnails and other auxiliary items are walked (their bytes must be inside the
file) but never decoded: only the primary item is the picture.
"""

from typing import NamedTuple

from imaging.containers.errors import ContainerError, too_many

# Boxes in the whole file, properties included. An iPhone's 12-megapixel HEIC has some 200
# (48 tiles, their properties, a thumbnail, a depth map's tiles, EXIF, XMP); 10,000 is far
# above any camera's and walks in a few milliseconds.
MAX_ISOBMFF_BOXES = 10_000
# Nesting of the container boxes this walk enters (``meta`` > ``iprp`` > ``ipco`` > a
# property is 4 deep); real files stay within 5.
MAX_ISOBMFF_DEPTH = 8
# Items in the ``meta`` box: libheif's own default security limit, and above what a phone
# writes (an iPhone's photo with its depth map and gain map has about 100).
MAX_HEIF_ITEMS = 1_000
# Extents over all items: one per item in practice (an interleaved file may split some).
MAX_HEIF_EXTENTS = 10_000
# A grid's tiles: HEIF allows 256 × 256, but every tile is a decoder run; 4,096 tiles of
# 512 px would be an 1,000-megapixel picture, far beyond any accepted limit.
MAX_HEIF_GRID_TILES = 4_096

HEIF_HEVC = b"hvc1"
HEIF_AV1 = b"av01"
HEIF_GRID = b"grid"
# Item types that carry metadata rather than pictures: EXIF, XMP (a ``mime`` item of type
# application/rdf+xml) and any other MIME or URI payload.
HEIF_METADATA_TYPES = frozenset({b"Exif", b"mime", b"uri "})
# Item types that are pictures or are made of them: everything else is data about them.
HEIF_PICTURE_TYPES = frozenset({b"hvc1", b"av01", b"grid"})
# Image codings per accepted format.
_CODINGS = {HEIF_HEVC: "HEIF", HEIF_AV1: "AVIF"}
# ftyp brands of a still-image HEIF file (MIAF, HEIC, AVIF and their sequence variants).
_IMAGE_BRANDS = frozenset(
    {b"mif1", b"mif2", b"msf1", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"avif"}
)
# Boxes this walk enters; every other box is a leaf whose contents are read, if at all, by
# the code that asks for its type.
_META_CHILD_CONTAINERS = frozenset({b"iprp", b"ipco", b"dinf"})
_PRINTABLE = frozenset(range(0x20, 0x7F))


class IsoBox(NamedTuple):
    """One box: its type, where it starts (its header) and where its payload is."""

    type: bytes
    start: int
    payload: int
    end: int


class HeifItem(NamedTuple):
    """One item of the ``meta`` box: id, coding, where its ``infe`` names the type, and
    the byte ranges (in the file) its data is made of. A ``protected`` (encrypted) item is
    never decoded as a picture."""

    id: int
    type: bytes
    type_offset: int
    content_type: bytes
    extents: tuple[tuple[int, int], ...]
    protected: bool = False


class HeifLayout(NamedTuple):
    """What a HEIF/AVIF file is, from its boxes alone.

    ``width`` × ``height`` is the primary picture's size before rotation (the grid's output
    for a grid); ``decoded_pixels`` is what decoding it costs (every tile of a grid);
    ``nclx`` the primary's (primaries, transfer, matrix, full range) where it has one;
    ``end`` where the image's bytes end.
    """

    format: str
    width: int
    height: int
    decoded_pixels: int
    tiles: int
    nclx: tuple[int, int, int, bool] | None
    has_icc: bool
    items: tuple[HeifItem, ...]
    primary: int
    end: int

    @property
    def metadata_items(self) -> tuple[HeifItem, ...]:
        """The items that are not pictures: EXIF, XMP, any other metadata, and items of
        types unknown here (a reader may still take them for metadata)."""
        return tuple(item for item in self.items if item.type not in HEIF_PICTURE_TYPES)


class _Budget:
    def __init__(self) -> None:
        self.boxes = MAX_ISOBMFF_BOXES
        self.extents = MAX_HEIF_EXTENTS

    def box(self) -> None:
        self.boxes -= 1
        if self.boxes < 0:
            raise too_many("too_many_blocks", "ISO media boxes", MAX_ISOBMFF_BOXES)


def isobmff_is_image(data: bytes) -> bool:
    """Whether the bytes start like a HEIF-family still image (a ``ftyp`` with its brands)."""
    if data[4:8] != b"ftyp":
        return False
    size = int.from_bytes(data[0:4], "big")
    if size < 16 or size > len(data) or size > 4096:
        return False
    brands = [data[8:12]] + [data[pos : pos + 4] for pos in range(16, size - 3, 4)]
    return any(brand in _IMAGE_BRANDS for brand in brands)


def isobmff_boxes(data: bytes, start: int, end: int, budget: _Budget) -> list[IsoBox]:
    """The boxes between ``start`` and ``end``, each within it; ``ContainerError`` otherwise."""
    boxes = []
    pos = start
    while pos < end:
        box = _box_at(data, pos, end)
        if box is None:
            raise ContainerError(f"the box at byte {pos} runs past its container")
        budget.box()
        boxes.append(box)
        pos = box.end
    return boxes


def _box_at(data: bytes, pos: int, end: int) -> IsoBox | None:
    """The box whose header is at ``pos`` if it fits before ``end`` (None if it does not)."""
    if pos + 8 > end:
        return None
    size = int.from_bytes(data[pos : pos + 4], "big")
    kind = data[pos + 4 : pos + 8]
    header = 8
    if size == 1:
        if pos + 16 > end:
            return None
        size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        header = 16
    elif size == 0:
        size = end - pos
    if kind == b"uuid":
        header += 16
    if size < header or pos + size > end:
        return None
    return IsoBox(kind, pos, pos + header, pos + size)


def heif_layout(data: bytes) -> HeifLayout:
    """Walks a HEIF or AVIF file within the limits and says what its primary picture is.

    Raises ``ContainerError`` for bytes that do not walk (a box past its container, an
    item's bytes past the file, a primary that is not a HEVC or AV1 picture or a grid of
    them) and ``ContainerTooComplex`` past a limit.
    """
    if not isobmff_is_image(data):
        raise ContainerError("no HEIF or AVIF ftyp box")
    budget = _Budget()
    top: list[IsoBox] = []
    pos = 0
    while pos < len(data):
        box = _box_at(data, pos, len(data))
        if box is None or not set(box.type) <= _PRINTABLE:
            break  # not a box: a trailer, unless an item's bytes are in it (checked below)
        budget.box()
        top.append(box)
        pos = box.end
    kinds = [box.type for box in top]
    if kinds.count(b"meta") != 1:
        raise ContainerError("not exactly one meta box")
    if b"moov" in kinds:
        # An image sequence: decoders would show its track, not the items walked here.
        raise ContainerError("an image sequence (moov box)")
    meta = top[kinds.index(b"meta")]
    items, primary, properties, associations, references, idat = _meta_walk(data, meta, budget)
    media = [box for box in top if box.type == b"mdat"]
    end = meta.end
    by_id = {item.id: item for item in items}
    tile_ids: tuple[int, ...] = ()
    if primary not in by_id:
        raise ContainerError("no primary item")
    for item in items:
        for start, stop in item.extents:
            if idat is not None and idat.payload <= start and stop <= idat.end:
                continue
            holder = next((b for b in media if b.payload <= start and stop <= b.end), None)
            if holder is None:
                raise ContainerError(f"item {item.id}'s bytes are outside every mdat box")
            # A box sized "to the end of the file" ends where its last item does.
            to_end = data[holder.start : holder.start + 4] == bytes(4)
            end = max(end, stop if to_end else holder.end)

    def size_of(item_id: int) -> tuple[int, int]:
        ispe = _property(data, properties, associations.get(item_id, ()), b"ispe")
        if ispe is None or ispe.end - ispe.payload < 12:
            raise ContainerError(f"item {item_id} has no image size (ispe)")
        width = int.from_bytes(data[ispe.payload + 4 : ispe.payload + 8], "big")
        height = int.from_bytes(data[ispe.payload + 8 : ispe.payload + 12], "big")
        return width, height

    item = by_id[primary]
    if item.protected:
        raise ContainerError("an encrypted primary picture")
    if item.type in _CODINGS:
        coding = item.type
        width, height = size_of(primary)
        decoded = width * height
        tiles = 1
        colour_from = primary
    elif item.type == HEIF_GRID:
        width, height, rows, columns = _grid(data, item)
        tile_ids = references.get((b"dimg", primary), ())
        tiles = rows * columns
        if tiles > MAX_HEIF_GRID_TILES:
            raise too_many("too_many_blocks", "grid tiles", MAX_HEIF_GRID_TILES)
        if len(tile_ids) != tiles:
            raise ContainerError("a grid whose tile count differs from its rows and columns")
        codings = {
            by_id[tile].type if tile in by_id and not by_id[tile].protected else b""
            for tile in tile_ids
        }
        if len(codings) != 1 or next(iter(codings)) not in _CODINGS:
            raise ContainerError("a grid whose tiles are not all HEVC or all AV1")
        coding = next(iter(codings))
        decoded = 0
        for tile in tile_ids:
            tile_width, tile_height = size_of(tile)
            decoded += tile_width * tile_height
        colour_from = primary
    else:
        raise ContainerError(f"a primary item of type {item.type!r}")
    if width < 1 or height < 1:
        raise ContainerError("a primary picture without pixels")
    if by_id[primary].extents == () and item.type in _CODINGS:
        raise ContainerError("a primary picture without data")
    nclx, has_icc = _colour(data, properties, associations.get(colour_from, ()))
    if nclx is None and not has_icc and item.type == HEIF_GRID and tile_ids:
        nclx, has_icc = _colour(data, properties, associations.get(tile_ids[0], ()))
    return HeifLayout(
        format=_CODINGS[coding],
        width=width,
        height=height,
        decoded_pixels=decoded,
        tiles=tiles,
        nclx=nclx,
        has_icc=has_icc,
        items=tuple(items),
        primary=primary,
        end=end,
    )


def heif_format(data: bytes) -> str:
    """``HEIF`` or ``AVIF`` from the primary item's coding; ``HEIF`` where the walk fails
    (then ``heif_end`` says why)."""
    try:
        return heif_layout(data).format
    except ContainerError:
        return "HEIF"


def heif_end(data: bytes) -> int:
    """Where the image's own bytes end: past the ``meta`` box and every box holding an
    item's bytes; later boxes (``free``, a phone maker's private one) and trailers are not
    the picture."""
    return heif_layout(data).end


_MetaWalk = tuple[
    list[HeifItem],
    int,
    list[IsoBox],
    dict[int, tuple[int, ...]],
    dict[tuple[bytes, int], tuple[int, ...]],
    IsoBox | None,
]


def _meta_walk(data: bytes, meta: IsoBox, budget: _Budget) -> _MetaWalk:
    """Items, primary id, properties, associations, references and ``idat`` of ``meta``."""
    children = isobmff_boxes(data, meta.payload + 4, meta.end, budget)
    found: dict[bytes, IsoBox] = {}
    properties: list[IsoBox] = []
    ipma: list[IsoBox] = []
    for child in children:
        if child.type in (b"ipma",):
            ipma.append(child)
            continue
        if child.type in found and child.type in (b"hdlr", b"pitm", b"iinf", b"iloc", b"iref"):
            raise ContainerError(f"two {child.type!r} boxes")
        found[child.type] = child
        if child.type in _META_CHILD_CONTAINERS:
            for inner in _nested(data, child, budget, depth=2):
                if inner.type == b"ipma":
                    ipma.append(inner)
                elif inner.type == b"ipco":
                    properties.extend(isobmff_boxes(data, inner.payload, inner.end, budget))
    for required in (b"hdlr", b"pitm", b"iinf", b"iloc"):
        if required not in found:
            raise ContainerError(f"no {required.decode()} box")
    hdlr = found[b"hdlr"]
    if data[hdlr.payload + 8 : hdlr.payload + 12] != b"pict":
        raise ContainerError("a meta box whose handler is not pict")
    pitm = found[b"pitm"]
    primary = _read_uint(data, pitm.payload + 4, 2 if data[pitm.payload] == 0 else 4, pitm.end)
    types = _iinf(data, found[b"iinf"], budget)
    locations = _iloc(data, found[b"iloc"], budget)
    idat = found.get(b"idat")
    items = []
    for item_id, (kind, type_offset, content_type, protected) in types.items():
        extents = []
        method, base, pieces = locations.get(item_id, (0, 0, ()))
        for offset, length in pieces:
            if method == 0:
                start = base + offset
                stop = len(data) if length == 0 else start + length
            elif method == 1:
                if idat is None:
                    raise ContainerError(f"item {item_id} in an idat box that is not there")
                start = idat.payload + base + offset
                stop = idat.end if length == 0 else start + length
                if stop > idat.end:
                    raise ContainerError(f"item {item_id} runs past its idat box")
            else:
                raise ContainerError(f"item {item_id} is built from other items' bytes")
            if stop > len(data) or start > stop:
                raise ContainerError(f"item {item_id}'s bytes run past the end of the file")
            extents.append((start, stop))
        items.append(HeifItem(item_id, kind, type_offset, content_type, tuple(extents), protected))
    associations = {}
    for box in ipma:
        associations.update(_ipma(data, box, len(properties), budget))
    references = _iref(data, found[b"iref"], budget) if b"iref" in found else {}
    return items, primary, properties, associations, references, idat


def _nested(data: bytes, box: IsoBox, budget: _Budget, depth: int) -> list[IsoBox]:
    """``box``'s children, and theirs where they are containers this walk enters."""
    if depth > MAX_ISOBMFF_DEPTH:
        raise too_many("too_many_blocks", "levels of nested boxes", MAX_ISOBMFF_DEPTH)
    out = []
    for child in isobmff_boxes(data, box.payload, box.end, budget):
        out.append(child)
        if child.type in _META_CHILD_CONTAINERS - {b"ipco"}:
            out.extend(_nested(data, child, budget, depth + 1))
    return out


def _read_uint(data: bytes, pos: int, size: int, end: int) -> int:
    if pos + size > end:
        raise ContainerError(f"a field at byte {pos} runs past its box")
    return int.from_bytes(data[pos : pos + size], "big")


def _iinf(data: bytes, box: IsoBox, budget: _Budget) -> dict[int, tuple[bytes, int, bytes, bool]]:
    """Item id -> (type, offset of the type in the file, MIME content type, protected)."""
    version = _read_uint(data, box.payload, 1, box.end)
    width = 2 if version == 0 else 4
    count = _read_uint(data, box.payload + 4, width, box.end)
    if count > MAX_HEIF_ITEMS:
        raise too_many("too_many_blocks", "HEIF items", MAX_HEIF_ITEMS)
    entries = isobmff_boxes(data, box.payload + 4 + width, box.end, budget)
    if len(entries) != count:
        raise ContainerError("an iinf box whose entry count is not its entries'")
    types: dict[int, tuple[bytes, int, bytes, bool]] = {}
    for infe in entries:
        if infe.type != b"infe":
            raise ContainerError(f"a {infe.type!r} box in iinf")
        infe_version = _read_uint(data, infe.payload, 1, infe.end)
        if infe_version < 2:
            raise ContainerError("an item entry older than HEIF's (infe version 0 or 1)")
        id_size = 2 if infe_version == 2 else 4
        pos = infe.payload + 4
        item_id = _read_uint(data, pos, id_size, infe.end)
        protection = _read_uint(data, pos + id_size, 2, infe.end)
        type_offset = pos + id_size + 2
        kind = data[type_offset : type_offset + 4]
        if type_offset + 4 > infe.end:
            raise ContainerError("a short infe box")
        content_type = b""
        if kind == b"mime":
            name_end = data.find(b"\x00", type_offset + 4, infe.end)
            if name_end >= 0:
                type_end = data.find(b"\x00", name_end + 1, infe.end)
                content_type = data[name_end + 1 : type_end if type_end >= 0 else infe.end]
        if item_id in types:
            raise ContainerError(f"two items with id {item_id}")
        types[item_id] = (kind, type_offset, content_type, protection != 0)
    return types


_IlocEntry = tuple[int, int, tuple[tuple[int, int], ...]]


def _iloc(data: bytes, box: IsoBox, budget: _Budget) -> dict[int, _IlocEntry]:
    """Item id -> (construction method, base offset, extents as (offset, length))."""
    end = box.end
    pos = box.payload
    version = _read_uint(data, pos, 1, end)
    if version > 2:
        raise ContainerError(f"an iloc box of version {version}")
    sizes = _read_uint(data, pos + 4, 2, end)
    offset_size, length_size = sizes >> 12, (sizes >> 8) & 0xF
    base_size, index_size = (sizes >> 4) & 0xF, (sizes & 0xF if version else 0)
    if not {offset_size, length_size, base_size, index_size} <= {0, 4, 8}:
        raise ContainerError("an iloc box with a field size that is not 0, 4 or 8")
    pos += 6
    count_size = 2 if version < 2 else 4
    count = _read_uint(data, pos, count_size, end)
    if count > MAX_HEIF_ITEMS:
        raise too_many("too_many_blocks", "HEIF items", MAX_HEIF_ITEMS)
    pos += count_size
    located: dict[int, _IlocEntry] = {}
    for _ in range(count):
        item_id = _read_uint(data, pos, count_size, end)
        pos += count_size
        method = 0
        if version:
            method = _read_uint(data, pos, 2, end) & 0xF
            pos += 2
        if _read_uint(data, pos, 2, end) != 0:
            raise ContainerError(f"item {item_id}'s bytes are in another file")
        pos += 2
        base = _read_uint(data, pos, base_size, end) if base_size else 0
        pos += base_size
        extent_count = _read_uint(data, pos, 2, end)
        pos += 2
        budget.extents -= extent_count
        if budget.extents < 0:
            raise too_many("too_many_blocks", "HEIF item extents", MAX_HEIF_EXTENTS)
        extents = []
        for _ in range(extent_count):
            pos += index_size
            offset = _read_uint(data, pos, offset_size, end) if offset_size else 0
            pos += offset_size
            length = _read_uint(data, pos, length_size, end) if length_size else 0
            pos += length_size
            extents.append((offset, length))
        if pos > end:
            raise ContainerError("an iloc box shorter than its entries")
        if item_id in located:
            raise ContainerError(f"item {item_id} located twice")
        located[item_id] = (method, base, tuple(extents))
    return located


def _ipma(
    data: bytes, box: IsoBox, property_count: int, budget: _Budget
) -> dict[int, tuple[int, ...]]:
    """Item id -> the 1-based indexes of its properties in ``ipco``."""
    end = box.end
    version = _read_uint(data, box.payload, 1, end)
    wide = _read_uint(data, box.payload + 1, 3, end) & 1
    pos = box.payload + 4
    count = _read_uint(data, pos, 4, end)
    if count > MAX_HEIF_ITEMS:
        raise too_many("too_many_blocks", "HEIF items", MAX_HEIF_ITEMS)
    pos += 4
    associations: dict[int, tuple[int, ...]] = {}
    id_size = 2 if version < 1 else 4
    for _ in range(count):
        item_id = _read_uint(data, pos, id_size, end)
        pos += id_size
        n = _read_uint(data, pos, 1, end)
        pos += 1
        indexes = []
        for _ in range(n):
            if wide:
                index = _read_uint(data, pos, 2, end) & 0x7FFF
                pos += 2
            else:
                index = _read_uint(data, pos, 1, end) & 0x7F
                pos += 1
            if index > property_count:
                raise ContainerError(f"item {item_id} has a property that is not there")
            if index:
                indexes.append(index)
        budget.box()
        if item_id in associations:
            raise ContainerError(f"item {item_id}'s properties given twice")
        associations[item_id] = tuple(indexes)
    return associations


def _iref(data: bytes, box: IsoBox, budget: _Budget) -> dict[tuple[bytes, int], tuple[int, ...]]:
    """(reference type, from item) -> the items referred to, in order."""
    id_size = 2 if _read_uint(data, box.payload, 1, box.end) == 0 else 4
    references: dict[tuple[bytes, int], tuple[int, ...]] = {}
    for ref in isobmff_boxes(data, box.payload + 4, box.end, budget):
        pos = ref.payload
        source = _read_uint(data, pos, id_size, ref.end)
        count = _read_uint(data, pos + id_size, 2, ref.end)
        pos += id_size + 2
        if pos + count * id_size != ref.end:
            raise ContainerError(f"an iref {ref.type!r} box whose count is not its size")
        targets = tuple(
            int.from_bytes(data[p : p + id_size], "big")
            for p in range(pos, pos + count * id_size, id_size)
        )
        references[(ref.type, source)] = references.get((ref.type, source), ()) + targets
    return references


def _property(
    data: bytes, properties: list[IsoBox], indexes: tuple[int, ...], kind: bytes
) -> IsoBox | None:
    for index in indexes:
        box = properties[index - 1]
        if box.type == kind:
            return box
    return None


def _colour(
    data: bytes, properties: list[IsoBox], indexes: tuple[int, ...]
) -> tuple[tuple[int, int, int, bool] | None, bool]:
    """The item's nclx description (if any) and whether it has an ICC profile."""
    nclx = None
    has_icc = False
    for index in indexes:
        box = properties[index - 1]
        if box.type != b"colr" or box.end - box.payload < 4:
            continue
        colour_type = data[box.payload : box.payload + 4]
        if colour_type in (b"prof", b"rICC"):
            has_icc = True
        elif colour_type == b"nclx" and box.end - box.payload >= 11 and nclx is None:
            p = box.payload + 4
            nclx = (
                int.from_bytes(data[p : p + 2], "big"),
                int.from_bytes(data[p + 2 : p + 4], "big"),
                int.from_bytes(data[p + 4 : p + 6], "big"),
                bool(data[p + 6] & 0x80),
            )
    return nclx, has_icc


def _grid(data: bytes, item: HeifItem) -> tuple[int, int, int, int]:
    """A grid item's output width and height, rows and columns."""
    body = b""
    for start, stop in item.extents:
        body += data[start : min(stop, start + 12 - len(body))]
        if len(body) >= 12:
            break
    if len(body) < 8:
        raise ContainerError("a short grid item")
    if body[0] != 0:
        raise ContainerError(f"a grid of version {body[0]}")
    field = 4 if body[1] & 1 else 2
    if len(body) < 4 + 2 * field:
        raise ContainerError("a short grid item")
    rows, columns = body[2] + 1, body[3] + 1
    width = int.from_bytes(body[4 : 4 + field], "big")
    height = int.from_bytes(body[4 + field : 4 + 2 * field], "big")
    return width, height, rows, columns
