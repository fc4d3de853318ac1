"""Fetching user-supplied media and Slack files against a real stand-in host on 127.0.0.1.

The stand-in lives on loopback, so a successful download needs allow_private=True (test mode).
With allow_private=False every loopback/private/link-local form must be refused before any
connection: the stand-in's request log must stay empty. Redirect hops are checked by the same
policy; since the first hop has to be the loopback stand-in, redirect tests run in test mode and
redirect to addresses that stay blocked even there (link-local/metadata, bad schemes, userinfo).
"""

from __future__ import annotations

import hashlib
import ipaddress
from urllib.parse import quote

import httpx
import pytest

from bot.media.check import MediaRejected, check_audio, check_image
from bot.media.fetch import fetch_slack_file, fetch_url, unwrap_slack_link
from bot.media.netpolicy import FetchRefused, check_target, classify_address, parse_ip_literal
from tests.fakes.media_server import HUGE_BYTES, LOGIN_PAGE, MediaServer, png_bytes

MB = 1024 * 1024
TOKEN = "xoxb-test-token"


@pytest.fixture
async def media():
    async with MediaServer(slack_token=TOKEN) as server:
        yield server


class Resolver:
    """An injected DNS: a fixed table, recording every lookup; unknown names do not resolve."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table = table or {}
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.table:
            raise OSError(f"no such host: {host}")
        return self.table[host]


# -- the happy path (test mode) ------------------------------------------------------------------


async def test_fetches_png_in_test_mode(media, tmp_path):
    dest = tmp_path / "in" / "ref.png"
    got = await fetch_url(media.url("/img/800x600.png"), dest, kind="image", max_bytes=MB, allow_private=True)
    body = png_bytes(800, 600)
    assert (got.path, got.mime, got.size) == (dest, "image/png", len(body))
    assert got.sha256 == hashlib.sha256(body).hexdigest()
    assert dest.read_bytes() == body
    assert list(dest.parent.iterdir()) == [dest]  # the .part file was renamed, not left behind
    assert check_image(dest).width == 800


async def test_user_urls_never_get_credentials(media, tmp_path):
    await fetch_url(
        media.url("/img/800x600.png"), tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True
    )
    (request,) = media.requests
    assert "authorization" not in request.headers
    assert "cookie" not in request.headers
    assert request.headers["accept-encoding"] == "identity"


async def test_connects_to_the_checked_address_and_sends_the_real_host(media, tmp_path):
    # "cdn.example" exists only in the injected resolver: the download can only work if the
    # connection goes to the address that was checked, not to a second lookup.
    resolver = Resolver({"cdn.example": ["127.0.0.1"]})
    url = f"http://cdn.example:{media.port}/img/800x600.png"
    got = await fetch_url(
        url, tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True, resolver=resolver
    )
    assert got.mime == "image/png"
    assert resolver.lookups == ["cdn.example"]
    assert media.requests[0].headers["host"] == f"cdn.example:{media.port}"


async def test_https_dials_the_checked_address_but_verifies_the_real_host_name(tmp_path):
    pytest.importorskip("cryptography")  # to mint the stand-in's certificate
    async with MediaServer(tls_hostname="cdn.example") as media:
        resolver = Resolver({"cdn.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
        got = await fetch_url(
            f"https://cdn.example:{media.port}/img/640x480.png",
            tmp_path / "a.png",
            kind="image",
            max_bytes=MB,
            allow_private=True,
            resolver=resolver,
            tls=media.client_tls,
        )
        assert got.mime == "image/png"
        assert media.requests[0].headers["host"] == f"cdn.example:{media.port}"
        # Same address, another name: the certificate (for cdn.example) must not be accepted.
        with pytest.raises(FetchRefused, match="couldn't download"):
            await fetch_url(
                f"https://other.example:{media.port}/img/640x480.png",
                tmp_path / "b.png",
                kind="image",
                max_bytes=MB,
                allow_private=True,
                resolver=resolver,
                tls=media.client_tls,
            )
        assert len(media.requests) == 1


async def test_target_names_the_host_for_tls_but_not_for_literals():
    resolver = Resolver({"cdn.example": ["93.184.215.14"]})
    named = await check_target(
        httpx.URL("https://cdn.example/a.png"), kind="image", allow_private=False, resolver=resolver
    )
    assert str(named.pinned_url()) == "https://93.184.215.14/a.png"
    assert named.extensions() == {"sni_hostname": "cdn.example"}
    literal = await check_target(
        httpx.URL("https://93.184.215.14/a.png"), kind="image", allow_private=False, resolver=resolver
    )
    assert literal.extensions() == {}
    assert resolver.lookups == ["cdn.example"]


async def test_fetches_audio(media, tmp_path):
    got = await fetch_url(
        media.url("/audio/3s.wav"), tmp_path / "a.wav", kind="audio", max_bytes=MB, allow_private=True
    )
    assert got.mime == "audio/wav"
    assert check_audio(got.path).seconds == pytest.approx(3.0, abs=0.01)


# -- SSRF: refused before any connection -----------------------------------------------------------

PRIVATE_URLS = [
    "https://127.0.0.1:{port}/img/800x600.png",
    "https://10.0.0.1/img/800x600.png",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]:{port}/img/800x600.png",
    "https://[::ffff:127.0.0.1]:{port}/img/800x600.png",
    "https://[::ffff:7f00:1]:{port}/img/800x600.png",
    "https://2130706433:{port}/img/800x600.png",
    "https://0x7f000001:{port}/img/800x600.png",
    "https://017700000001:{port}/img/800x600.png",
    "https://127.1:{port}/img/800x600.png",
    "https://0.0.0.0:{port}/img/800x600.png",
    "https://100.64.0.1/img/800x600.png",
    "https://[fd00::1]/img/800x600.png",
    "https://[fe80::1]/img/800x600.png",
    "https://[2002:7f00:1::]/img/800x600.png",  # 6to4 wrapping 127.0.0.1
    "https://[64:ff9b::a00:1]/img/800x600.png",  # NAT64 wrapping 10.0.0.1
    "https://224.0.0.1/img/800x600.png",
    "https://localhost:{port}/img/800x600.png",
]


@pytest.mark.parametrize("template", PRIVATE_URLS)
async def test_private_addresses_are_refused_and_nothing_is_sent(media, tmp_path, template):
    url = template.format(port=media.port)
    resolver = Resolver({"localhost": ["127.0.0.1", "::1"]})
    with pytest.raises(FetchRefused) as err:
        await fetch_url(url, tmp_path / "a.png", kind="image", max_bytes=MB, resolver=resolver)
    assert err.value.message == (
        "That image URL points to a private address; use a public https link or attach the image."
    )
    assert media.requests == []
    assert not (tmp_path / "a.png").exists()


async def test_plain_http_is_refused_outside_test_mode(media, tmp_path):
    with pytest.raises(FetchRefused, match="isn't https"):
        await fetch_url(media.url("/img/800x600.png"), tmp_path / "a.png", kind="image", max_bytes=MB)
    assert media.requests == []


@pytest.mark.parametrize(
    "addresses",
    [["10.1.2.3"], ["93.184.215.14", "10.1.2.3"], ["127.0.0.1"], ["169.254.169.254"], ["::ffff:10.1.2.3"]],
)
async def test_hostname_resolving_to_a_private_address_is_refused(media, tmp_path, addresses):
    resolver = Resolver({"images.example": addresses})
    with pytest.raises(FetchRefused, match="points to a private address"):
        await fetch_url(
            f"https://images.example:{media.port}/a.png",
            tmp_path / "a.png",
            kind="image",
            max_bytes=MB,
            resolver=resolver,
        )
    assert resolver.lookups == ["images.example"]
    assert media.requests == []


async def test_unresolvable_host_is_refused(tmp_path):
    with pytest.raises(FetchRefused, match="couldn't find the host nowhere.example"):
        await fetch_url(
            "https://nowhere.example/a.png", tmp_path / "a", kind="image", max_bytes=MB, resolver=Resolver()
        )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://999.1.1.1/a.png", "isn't a valid URL"),
        ("https://1.2.3.4.5/a.png", "address that isn't valid"),
        ("https://09/a.png", "address that isn't valid"),
        ("https://256.1/a.png", "address that isn't valid"),
        ("https://0x100000000/a.png", "address that isn't valid"),
        ("https://0177.0.0.1/a.png", "isn't a valid URL"),  # httpx refuses dotted octal outright
        ("ftp://example.com/a.png", "isn't https"),
        ("file:///etc/passwd", "isn't https"),
        ("not a url at all", "isn't https"),
    ],
)
async def test_malformed_urls_are_refused(tmp_path, url, message):
    with pytest.raises(FetchRefused, match=message):
        await fetch_url(url, tmp_path / "a", kind="image", max_bytes=MB, resolver=Resolver())


async def test_credentials_in_the_url_are_refused(media, tmp_path):
    url = f"http://user:secret@{media.host_port}/img/800x600.png"
    with pytest.raises(FetchRefused, match="user name or password"):
        await fetch_url(url, tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True)
    assert media.requests == []


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("0x0a.0.0.1", "10.0.0.1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("example.com", None),
        ("1.example", None),
    ],
)
def test_parse_ip_literal(host, address):
    parsed = parse_ip_literal(host)
    assert (str(parsed) if parsed else None) == address


@pytest.mark.parametrize(
    ("address", "klass"),
    [
        ("93.184.215.14", "public"),
        ("2606:4700::1111", "public"),
        ("2002:5db8:d70e::", "public"),  # 6to4 of a public address
        ("127.0.0.1", "local"),
        ("10.1.2.3", "local"),
        ("172.31.0.1", "local"),
        ("192.168.1.1", "local"),
        ("100.64.0.1", "local"),
        ("::1", "local"),
        ("::ffff:127.0.0.1", "local"),
        ("fc00::1", "local"),
        ("169.254.169.254", "blocked"),
        ("fe80::1", "blocked"),
        ("0.0.0.0", "blocked"),
        ("::", "blocked"),
        ("224.0.0.1", "blocked"),
        ("ff02::1", "blocked"),
        ("240.0.0.1", "blocked"),
        ("255.255.255.255", "blocked"),
        ("192.0.2.1", "blocked"),
        ("2001:db8::1", "blocked"),
        ("::ffff:169.254.169.254", "blocked"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "blocked"),  # Teredo
        ("64:ff9b::5db8:d70e", "public"),  # NAT64 of a public address
        ("64:ff9b:1::5db8:d70e", "blocked"),  # local-use NAT64: where it leads is not knowable
    ],
)
def test_classify_address(address, klass):
    assert classify_address(ipaddress.ip_address(address)) == klass


# -- redirects: every hop is checked --------------------------------------------------------------


async def test_redirect_to_a_public_file_is_followed(media, tmp_path):
    url = media.url("/redirect?to=" + quote(media.url("/img/640x480.png")))
    got = await fetch_url(url, tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True)
    assert got.mime == "image/png"
    assert [r.path for r in media.requests] == ["/redirect", "/img/640x480.png"]


async def test_relative_redirect_is_resolved_against_the_original_url(media, tmp_path):
    url = media.url("/redirect?to=" + quote("/img/640x480.png"))
    await fetch_url(url, tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True)
    assert media.requests[1].headers["host"] == media.host_port


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.internal/computeMetadata/v1/",
        "http://[fe80::1]/",
        "http://0.0.0.0:{port}/img/640x480.png",
    ],
)
async def test_redirect_to_a_blocked_address_is_refused(media, tmp_path, location):
    resolver = Resolver({"metadata.internal": ["169.254.169.254"]})
    url = media.url("/redirect?to=" + quote(location.format(port=media.port)))
    with pytest.raises(FetchRefused, match="points to a private address"):
        await fetch_url(
            url, tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True, resolver=resolver
        )
    assert [r.path for r in media.requests] == ["/redirect"]
    if "metadata.internal" in location:
        assert resolver.lookups == ["metadata.internal"]


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("file:///etc/passwd", "isn't https"),
        ("gopher://127.0.0.1:{port}/", "isn't https"),
        ("http://user:pw@127.0.0.1:{port}/img/640x480.png", "user name or password"),
    ],
)
async def test_redirect_to_a_bad_url_is_refused(media, tmp_path, location, message):
    url = media.url("/redirect?to=" + quote(location.format(port=media.port)))
    with pytest.raises(FetchRefused, match=message):
        await fetch_url(url, tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True)
    assert [r.path for r in media.requests] == ["/redirect"]


async def test_too_many_redirects_are_refused(media, tmp_path):
    url = media.url("/img/640x480.png")
    for _ in range(4):
        url = media.url("/redirect?to=" + quote(url))
    with pytest.raises(FetchRefused, match="more than 3 times"):
        await fetch_url(url, tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True)
    assert [r.path for r in media.requests] == ["/redirect"] * 4


# -- what comes back --------------------------------------------------------------------------------


async def test_huge_body_is_cut_off_at_the_limit(media, tmp_path):
    dest = tmp_path / "huge.png"
    with pytest.raises(FetchRefused, match="larger than 1 MB"):
        await fetch_url(media.url("/huge"), dest, kind="image", max_bytes=MB, allow_private=True)
    # The client stopped reading at the limit; what the server managed to send is bounded by
    # socket buffers, far below the 50 MB it wanted to stream.
    assert media.bytes_sent_for("/huge") < 20 * MB < HUGE_BYTES
    assert list(tmp_path.iterdir()) == []  # neither the file nor its .part


async def test_declared_content_length_over_the_limit_is_refused_before_reading(media, tmp_path):
    with pytest.raises(FetchRefused, match="That image is 50 MB; the limit is 1 MB"):
        await fetch_url(
            media.url("/huge?length=1"), tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True
        )
    assert list(tmp_path.iterdir()) == []


async def test_web_page_is_refused_with_a_clear_message(media, tmp_path):
    with pytest.raises(FetchRefused) as err:
        await fetch_url(
            media.url("/page.html"), tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True
        )
    assert err.value.message == (
        "That link returned a web page, not an image file; use a direct link to the image or attach it."
    )
    assert list(tmp_path.iterdir()) == []


async def test_bytes_that_are_not_an_image_are_refused_whatever_the_content_type(media, tmp_path):
    with pytest.raises(FetchRefused, match="didn't return an image file I can use"):
        await fetch_url(
            media.url("/mislabelled.png"), tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True
        )
    assert list(tmp_path.iterdir()) == []


async def test_audio_is_not_an_image(media, tmp_path):
    with pytest.raises(FetchRefused, match="not an image file"):
        await fetch_url(
            media.url("/audio/3s.mp3"), tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True
        )


async def test_error_status_is_refused(media, tmp_path):
    with pytest.raises(FetchRefused, match="answered HTTP 404"):
        await fetch_url(
            media.url("/nope.png"), tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True
        )


async def test_one_pixel_image_downloads_but_fails_the_image_check(media, tmp_path):
    got = await fetch_url(
        media.url("/img/1x1.png"), tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True
    )
    with pytest.raises(MediaRejected, match="1×1 px; Kling needs at least 300 px"):
        check_image(got.path)


async def test_slow_server_hits_the_overall_timeout(media, tmp_path):
    with pytest.raises(FetchRefused, match="took longer than 0.3 s"):
        await fetch_url(
            media.url("/slow?seconds=30"),
            tmp_path / "a.png",
            kind="image",
            max_bytes=MB,
            allow_private=True,
            timeout=0.3,
        )
    assert list(tmp_path.iterdir()) == []


async def test_unreachable_port_is_refused(tmp_path):
    with pytest.raises(FetchRefused, match="couldn't download"):
        await fetch_url(
            "http://127.0.0.1:9/a.png", tmp_path / "a.png", kind="image", max_bytes=MB, allow_private=True
        )


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("<https://x.com/a.png|label>", "https://x.com/a.png"),
        ("<https://x.com/a.png>", "https://x.com/a.png"),
        ("  https://x.com/a.png ", "https://x.com/a.png"),
        ("<https://x.com/a.png?w=1&amp;h=2|x.com/a.png>", "https://x.com/a.png?w=1&h=2"),
    ],
)
def test_unwrap_slack_link(text, url):
    assert unwrap_slack_link(text) == url


# -- Slack-hosted files ----------------------------------------------------------------------------


def _slack_file(url: str, **extra) -> dict:
    return {
        "id": "F0123456789",
        "name": "photo.png",
        "mimetype": "image/png",
        "url_private_download": url,
    } | extra


async def test_slack_file_downloads_with_the_token(media, tmp_path):
    file = _slack_file(media.url("/files-pri/photo.png"), size=len(png_bytes(640, 480)))
    got = await fetch_slack_file(
        file,
        tmp_path / "p.png",
        token=TOKEN,
        kind="image",
        max_bytes=MB,
        extra_allowed_hosts=(media.host_port,),
    )
    assert (got.mime, got.size) == ("image/png", len(png_bytes(640, 480)))
    assert media.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


async def test_slack_login_page_is_refused(media, tmp_path):
    file = _slack_file(media.url("/files-pri/photo.png"))
    with pytest.raises(FetchRefused, match="login page instead of photo.png.*files:read"):
        await fetch_slack_file(
            file,
            tmp_path / "p.png",
            token="xoxb-wrong",
            kind="image",
            max_bytes=MB,
            extra_allowed_hosts=(media.host_port,),
        )
    assert media.bytes_sent_for("/files-pri/photo.png") == len(LOGIN_PAGE)
    assert list(tmp_path.iterdir()) == []


async def test_slack_file_on_another_host_gets_no_token(media, tmp_path):
    file = _slack_file(media.url("/files-pri/photo.png"))
    with pytest.raises(FetchRefused, match="isn't hosted by Slack"):
        await fetch_slack_file(file, tmp_path / "p.png", token=TOKEN, kind="image", max_bytes=MB)
    assert media.requests == []


async def test_slack_redirect_off_host_is_refused_and_the_token_stays_home(media, tmp_path):
    async with MediaServer(slack_token=TOKEN) as elsewhere:
        file = _slack_file(media.url("/redirect?to=" + quote(elsewhere.url("/files-pri/photo.png"))))
        with pytest.raises(FetchRefused, match="isn't hosted by Slack"):
            await fetch_slack_file(
                file,
                tmp_path / "p.png",
                token=TOKEN,
                kind="image",
                max_bytes=MB,
                extra_allowed_hosts=(media.host_port,),
            )
        assert elsewhere.requests == []
    assert [r.path for r in media.requests] == ["/redirect"]


async def test_slack_redirect_on_host_is_followed_with_the_token(media, tmp_path):
    file = _slack_file(media.url("/redirect?to=" + quote(media.url("/files-pri/photo.png"))))
    got = await fetch_slack_file(
        file,
        tmp_path / "p.png",
        token=TOKEN,
        kind="image",
        max_bytes=MB,
        extra_allowed_hosts=(media.host_port,),
    )
    assert got.mime == "image/png"
    assert [r.headers.get("authorization") for r in media.requests] == [f"Bearer {TOKEN}"] * 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"size": 50 * MB}, "photo.png is 50 MB; the limit is 1 MB"),
        ({"mimetype": "application/pdf"}, "photo.png is application/pdf, not an image"),
        ({"url_private_download": None}, "didn't give me a download link"),
    ],
)
async def test_slack_file_metadata_is_checked_before_downloading(media, tmp_path, extra, message):
    file = _slack_file(media.url("/files-pri/photo.png"), **extra)
    with pytest.raises(FetchRefused, match=message):
        await fetch_slack_file(
            file,
            tmp_path / "p.png",
            token=TOKEN,
            kind="image",
            max_bytes=MB,
            extra_allowed_hosts=(media.host_port,),
        )
    assert media.requests == []
