"""Labelling a clip before delivery: its container tags rewritten by a remux (stream copy, no
re-encode) and, with a certificate, a signed C2PA manifest; both streamed file to file on disk."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import c2pa

from bot.media.credentials import load_credentials
from bot.media.disclosure import ClipFacts, container_tags, manifest_definition

log = logging.getLogger(__name__)
MP4 = "video/mp4"
# Streamed signing: c2pa-rs keeps its working copy in memory below a threshold (512 MB by default) and
# hashes a plain BMFF hash, and validates a provider's manifest, in reads of up to 256 MB. A temporary
# file, a Merkle tree of 1 MB leaves and no re-validation of the provider's manifest (a reader validates
# it) keep signing at a few MB of memory whatever the clip's size.
STREAMING = {
    "core": {
        "backing_store_memory_threshold_in_mb": 4,
        "prefer_bmff_merkle_tree": True,
        "merkle_tree_chunk_size_in_kb": 1024,
    },
    "verify": {"verify_after_reading": False},
}


def _context(settings: dict) -> c2pa.Context:
    return c2pa.Context(c2pa.Settings.from_dict(settings))


@dataclass(frozen=True)
class Labelled:
    path: Path  # the clip to upload
    signed: bool  # it carries a C2PA manifest Dailies signed
    unsigned: bool  # signing was configured and failed: the caption says so


class Labeller:
    """Labels clips; signs them too when given the paths of a certificate chain and its key."""

    def __init__(self, cert_path: str = "", key_path: str = "") -> None:
        self.cert_path = cert_path
        self.key_path = key_path

    @property
    def signs(self) -> bool:
        return bool(self.cert_path and self.key_path)

    def label(self, path: Path, facts: ClipFacts, source_files: Sequence[Path | None] = ()) -> Labelled:
        """The labelled copy of `path` beside it (`path` itself is left as the provider made it, so a
        resumed delivery labels it again from the start); `source_files`, beside `facts.sources`, are
        those clips on disk where they still are. Blocking: run it in a thread."""
        tagged = path.with_name(f"{path.stem}.tagged{path.suffix}")
        try:
            write_tags(path, tagged, container_tags(facts))
        except (av.FFmpegError, OSError, ValueError) as exc:
            # the caption still discloses; an unreadable container is delivered as the provider made it
            log.warning("could not write the metadata of %s (%s)", path.name, type(exc).__name__)
            tagged.unlink(missing_ok=True)
            tagged = path
        if not self.signs:
            return Labelled(tagged, signed=False, unsigned=False)
        signed = path.with_name(f"{path.stem}.signed{path.suffix}")
        try:
            sign(
                tagged, signed, facts, self.cert_path, self.key_path, provider_file=path,
                source_files=source_files,
            )  # fmt: skip
        except Exception as exc:  # any failure: the clip is still delivered, marked unsigned
            log.warning("could not sign %s with C2PA, delivering it unsigned: %s", path.name, _reason(exc))
            signed.unlink(missing_ok=True)
            return Labelled(tagged, signed=False, unsigned=True)
        if tagged != path:
            tagged.unlink(missing_ok=True)
        return Labelled(signed, signed=True, unsigned=False)


def _reason(exc: Exception) -> str:
    """Why signing failed, short; our own errors carry no key material and c2pa's name no secrets."""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def write_tags(src: Path, dst: Path, tags: dict[str, str]) -> None:
    """Copy the audio and video streams of `src` into `dst` packet by packet, with `tags` as the
    container's metadata (PyAV's stream copy: nothing is decoded, memory does not grow with the clip);
    the index goes first (faststart), so a player can start before the whole clip has arrived."""
    with (
        av.open(str(src)) as source,
        av.open(str(dst), "w", format="mp4", options={"movflags": "faststart"}) as out,
    ):
        out.metadata.update(tags)
        streams = {}
        for stream in source.streams:
            if stream.type in ("video", "audio"):
                streams[stream.index] = out.add_stream_from_template(stream)
        if not streams:
            raise ValueError("the clip has no audio or video stream")
        for packet in source.demux(*(source.streams[i] for i in streams)):
            if packet.dts is None:  # the demuxer's flush packet
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)


def _manifest_in(path: Path) -> bool | None:
    """Whether the file already carries a C2PA manifest (a provider's, or Dailies' own on a clip
    fetched back from Slack); None when it carries a damaged one, which is not one to build on."""
    try:
        with path.open("rb") as fh, c2pa.Reader(MP4, fh, context=_context(STREAMING)):
            return True
    except c2pa.C2paError.ManifestNotFound:
        return False
    except c2pa.C2paError as exc:
        log.info("the C2PA manifest in %s is unreadable (%s); not kept", path.name, _reason(exc))
        return None


def _from_files(ingredients: list[dict], files: Sequence[Path | None]) -> list[tuple[dict, Path | None]]:
    """Each source ingredient with the file to add it from (None: named from its definition alone):
    its clip where it is on disk, unless that clip's manifest is damaged."""
    files = list(files) + [None] * (len(ingredients) - len(files))
    return [
        (ingredient, file if file is not None and file.is_file() and _manifest_in(file) is not None else None)
        for ingredient, file in zip(ingredients, files, strict=False)
    ]


def sign(
    src: Path,
    dst: Path,
    facts: ClipFacts,
    cert_path: str,
    key_path: str,
    *,
    provider_file: Path,
    source_files: Sequence[Path | None] = (),
) -> None:
    """Sign `src` into `dst` with a C2PA manifest for `facts`; a manifest in `provider_file` (the
    provider's own, which the remux dropped) is kept as the parent ingredient, and one in a source's
    file (`source_files`, beside `facts.sources`) as that source's. Streamed file to file."""
    credentials = load_credentials(cert_path, key_path)  # CredentialsError says what to fix
    provider_parent = bool(_manifest_in(provider_file))
    definition = manifest_definition(facts, provider_parent=provider_parent)
    sources = _from_files(definition["ingredients"], source_files)
    # c2pa-rs lists the definition's ingredients before those added from files: a source whose file
    # is gone comes first, the rest keep their order (the actions name them in order either way)
    definition["ingredients"] = [ingredient for ingredient, file in sources if file is None]
    info = c2pa.C2paSignerInfo(
        alg=getattr(c2pa.C2paSigningAlg, credentials.alg),
        sign_cert=credentials.chain_pem,
        private_key=credentials.key_pem,
        # no timestamp authority: signing works offline, but readers judge the certificate at reading time
        ta_url=None,
    )
    with (
        c2pa.Signer.from_info(info) as signer,
        c2pa.Builder(definition, context=_context(STREAMING)) as builder,
    ):
        if provider_parent:
            with provider_file.open("rb") as original:
                builder.add_ingredient(
                    {"title": f"{facts.provider} original", "relationship": "parentOf", "label": "provider"},
                    MP4,
                    original,
                )
        for ingredient, file in sources:
            if file is not None:  # c2pa keeps the manifest the file carries, if any
                with file.open("rb") as clip:
                    builder.add_ingredient(ingredient, MP4, clip)
        with src.open("rb") as source, dst.open("w+b") as out:
            builder.sign(signer, MP4, source, out)


def read_manifest(path: Path) -> dict | None:
    """The clip's active C2PA manifest with the store's validation state, or None when it has none
    (fully validated, so it reads a large clip in big pieces: for checks, not for the delivery path)."""
    try:
        with path.open("rb") as fh, c2pa.Reader(MP4, fh) as reader:
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return None
    active = store["manifests"][store["active_manifest"]]
    return {**active, "validation_state": store.get("validation_state"), "store": store}
