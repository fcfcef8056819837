"""Logo uploads: only real PNG, JPEG or WebP images, re-encoded; anything else leaves the old logo."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from storefront.extensions import db
from storefront.models import AuditEntry, Reseller
from tests.shop.helpers import csrf_from
from tests.steps import owner_client, team_sign_in

ACME = "acme.localhost"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _image(image_format: str, size: tuple[int, int] = (64, 40), colour: str = "#0f766e", **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=image_format, **options)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_declaring(width: int, height: int, pixels: bytes = b"\x00" * 64) -> bytes:
    """A tiny PNG whose header claims the given size (a pixel flood when the size is huge)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def _png_with_text(text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    return _image("PNG", pnginfo=info)


def _upload(client, data: bytes | None, filename: str = "logo.png", content_type: str = "image/png"):
    form = {"csrf_token": csrf_from(client.get("/console/brand").text)}
    if data is not None:
        form["logo"] = FileStorage(io.BytesIO(data), filename=filename, content_type=content_type)
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(form)
    return client.post(
        "/console/brand/logo", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _logo_state(app) -> tuple:
    with app.app_context():
        query = select(Reseller.logo_etag, Reseller.logo_image, Reseller.favicon_ico, Reseller.logo_mime)
        return tuple(db.session.execute(query.where(Reseller.slug == "acme")).one())


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, format="GIF")
    return out.getvalue()


BAD_UPLOADS = {
    "svg": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "logo.svg",
        "not a PNG",
    ),
    "html named png": (b"<!doctype html><script>alert(1)</script>", "logo.png", "not a PNG"),
    "png with html appended": (_image("PNG") + b"<script>alert(1)</script>", "logo.png", "extra data"),
    "png with a gif appended": (_image("PNG") + _gif(), "logo.png", "extra data"),
    "gif with a png appended": (_gif() + _image("PNG"), "logo.png", "not a PNG"),
    "jpeg with html appended": (
        _image("JPEG") + b"<html><script>x</script></html>",
        "logo.jpg",
        "extra data",
    ),
    "webp with html appended": (_image("WEBP") + b"<script>x</script>", "logo.webp", "extra data"),
    "truncated png": (_image("PNG")[:-20], "logo.png", "cut short"),
    "truncated jpeg": (_image("JPEG")[:300], "logo.jpg", "cut short"),
    "truncated webp": (_image("WEBP")[:-6], "logo.webp", "cut short"),
    "damaged pixels": (_png_declaring(16, 16, b"not zlib at all"), "logo.png", "damaged"),
    "pixel flood": (_png_declaring(100_000, 100_000), "logo.png", "16 million"),
    "pixel flood pillow warns about": (_png_declaring(10_000, 10_000), "logo.png", "16 million"),
    "pixel flood under pillow's own limit": (_png_declaring(5000, 5000), "logo.png", "5000 × 5000 pixels"),
    "too wide": (_png_declaring(4097, 10), "logo.png", "at most 4096 pixels on a side"),
    "zero bytes": (b"", "logo.png", "That file is empty."),
    "no file chosen": (b"", "", "Choose an image file to upload."),
    "missing field": (None, "", "Choose an image file to upload."),
}


@pytest.mark.parametrize("kind", list(BAD_UPLOADS))
def test_bad_uploads_are_refused_and_the_old_logo_stays(app, demo, client_for, kind: str) -> None:
    data, filename, message = BAD_UPLOADS[kind]
    before = _logo_state(app)
    owner = owner_client(client_for)
    refused = _upload(owner, data, filename)
    assert refused.status_code == 400
    assert message in refused.text and 'class="form__error" role="alert"' in refused.text
    assert _logo_state(app) == before
    served = client_for(ACME).get(f"/logo?v={before[0]}")
    assert served.data == before[1]


def test_an_oversized_upload_gets_a_clear_answer(app, demo, client_for) -> None:
    before = _logo_state(app)
    owner = owner_client(client_for)
    # Over the logo's limit but within the request's; then over the app's MAX_CONTENT_LENGTH too.
    just_over = _upload(owner, _image("PNG") + b"\x00" * 2_000_000)
    whole_request = _upload(owner, b"\x00" * (3 * 1024 * 1024))
    for response in (just_over, whole_request):
        assert response.status_code == 413
        assert "That file is larger than 2 MB." in response.text and "<h1>Brand</h1>" in response.text
    assert _logo_state(app) == before


@pytest.mark.parametrize(
    ("image_format", "filename", "content_type"),
    [
        ("PNG", "logo.png", "image/png"),
        ("JPEG", "logo.jpg", "image/jpeg"),
        ("WEBP", "logo.webp", "image/webp"),
    ],
)
def test_good_images_are_re_encoded_as_png(
    app, demo, client_for, image_format, filename, content_type
) -> None:
    old_etag, _, old_icon, _ = _logo_state(app)
    owner = owner_client(client_for)
    upload = _image(image_format, size=(1024, 600), colour="#7c3aed")
    saved = _upload(owner, upload, filename, content_type)
    assert saved.status_code == 303 and saved.headers["Location"] == "/console/brand"
    assert "Logo saved." in owner.get("/console/brand").text
    etag, stored, icon, mime = _logo_state(app)
    assert etag != old_etag and mime == "image/png" and stored != upload and icon != old_icon
    visitor = client_for(ACME)
    assert f'src="/logo?v={etag}"' in visitor.get("/").text  # the cached home page refreshed
    logo = Image.open(io.BytesIO(visitor.get(f"/logo?v={etag}").data))
    assert logo.format == "PNG" and max(logo.size) == 512
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "logo"))
        assert entry.actor_role == "owner" and etag in entry.reason


def test_markup_hidden_in_a_png_never_reaches_the_served_logo(app, demo, client_for) -> None:
    upload = _png_with_text("<script>alert(1)</script>")
    assert _upload(owner_client(client_for), upload).status_code == 303
    etag, stored, _, _ = _logo_state(app)
    assert b"<script>" in upload and b"<script>" not in stored
    assert b"<script>" not in client_for(ACME).get(f"/logo?v={etag}").data


def test_the_favicon_is_made_from_the_new_logo(app, demo, client_for) -> None:
    visitor = client_for(ACME)
    old = visitor.get("/favicon.ico")
    assert (
        _upload(owner_client(client_for), _image("PNG", size=(48, 48), colour="#ff0000")).status_code == 303
    )
    new = visitor.get("/favicon.ico")
    assert new.headers["ETag"] != old.headers["ETag"] and new.data != old.data
    icon = Image.open(io.BytesIO(new.data))
    assert icon.format == "ICO" and icon.convert("RGB").getpixel((24, 24)) == (255, 0, 0)
    assert visitor.get("/favicon.ico", headers={"If-None-Match": new.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("size", [(1, 1), (15, 15), (40, 8)])
def test_a_logo_smaller_than_a_favicon_is_saved_with_a_favicon(app, demo, client_for, size) -> None:
    """A tiny image is a valid logo: it gets a favicon like any other, never a 500."""
    saved = _upload(owner_client(client_for), _image("PNG", size=size, colour="#ff0000"))
    assert saved.status_code == 303
    icon = Image.open(io.BytesIO(client_for(ACME).get("/favicon.ico").data))
    assert icon.format == "ICO" and icon.size[0] >= 16


def test_the_logo_is_cached_for_a_year_under_its_version(app, demo, client_for) -> None:
    etag = _logo_state(app)[0]
    visitor = client_for(ACME)
    logo = visitor.get(f"/logo?v={etag}")
    cache = logo.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
    assert logo.headers["ETag"] == f'"{etag}"'
    again = visitor.get(f"/logo?v={etag}", headers={"If-None-Match": logo.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    for unversioned in ("/logo", "/logo?v=an-old-version"):
        assert "immutable" not in visitor.get(unversioned).headers["Cache-Control"], unversioned


def test_removing_the_logo_falls_back_to_name_and_colour(app, demo, client_for) -> None:
    owner = owner_client(client_for)
    token = csrf_from(owner.get("/console/brand").text)
    assert owner.post("/console/brand/logo/remove", data={"csrf_token": token}).status_code == 303
    assert _logo_state(app) == (None, None, None, None)
    visitor = client_for(ACME)
    assert visitor.get("/logo").status_code == 404
    assert 'class="brand__logo"' not in visitor.get("/").text
    icon = Image.open(io.BytesIO(visitor.get("/favicon.ico").data))
    assert icon.convert("RGB").getpixel((8, 8)) == (0xC2, 0x41, 0x0C)  # Acme's primary colour
    assert "No logo yet" in owner.get("/console/brand").text
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "logo_removed"))


def test_agents_and_forged_posts_cannot_touch_the_logo(app, demo, client_for) -> None:
    before = _logo_state(app)
    agent = client_for(ACME)
    team_sign_in(agent, "agent@acme-hosting.test")
    token = csrf_from(agent.get("/console/tickets").text)
    good = {"csrf_token": token, "logo": (io.BytesIO(_image("PNG")), "logo.png", "image/png")}
    assert agent.post("/console/brand/logo", data=good, content_type="multipart/form-data").status_code == 403
    assert agent.post("/console/brand/logo/remove", data={"csrf_token": token}).status_code == 403
    owner = owner_client(client_for)
    forged = {"logo": (io.BytesIO(_image("PNG")), "logo.png", "image/png")}
    assert (
        owner.post("/console/brand/logo", data=forged, content_type="multipart/form-data").status_code == 400
    )
    assert owner.post("/console/brand/logo/remove").status_code == 400
    assert _logo_state(app) == before


def test_the_brand_page_offers_only_the_accepted_formats(demo, client_for) -> None:
    page = owner_client(client_for).get("/console/brand").text
    upload = re.search(r'<form method="post" action="/console/brand/logo"[^>]*>', page).group(0)
    assert 'enctype="multipart/form-data"' in upload
    assert 'accept="image/png,image/jpeg,image/webp"' in page
