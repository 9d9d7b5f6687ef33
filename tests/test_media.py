"""Tests for vidmock.media: real MP4s, exact geometry/duration, determinism, caching."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import pytest

from vidmock import media
from vidmock.media import FPS, MediaCache, VideoSpec, render_mp4

TOLERANCE = 0.05  # seconds


@dataclass
class Probe:
    duration: float  # container
    codec: str
    width: int
    height: int
    pix_fmt: str | None
    video_duration: float
    frames: int
    audio_codecs: list[str]
    audio_duration: float | None


def _seconds(stream: av.stream.Stream) -> float:
    assert stream.duration is not None and stream.time_base is not None
    return float(stream.duration * stream.time_base)


def _probe(data: bytes) -> Probe:
    with av.open(io.BytesIO(data), mode="r") as c:
        assert c.duration is not None
        v, audio = c.streams.video[0], list(c.streams.audio)
        return Probe(
            duration=c.duration / av.time_base,
            codec=v.codec_context.name,
            width=v.codec_context.width,
            height=v.codec_context.height,
            pix_fmt=v.codec_context.pix_fmt,
            video_duration=_seconds(v),
            frames=v.frames,
            audio_codecs=[a.codec_context.name for a in audio],
            audio_duration=_seconds(audio[0]) if audio else None,
        )


@pytest.mark.parametrize(
    ("width", "height", "seconds"),
    [(854, 480, 3), (1024, 1792, 2), (1366, 768, 1), (3840, 2160, 1)],
)
def test_geometry_codec_and_duration(width: int, height: int, seconds: int) -> None:
    info = _probe(render_mp4(VideoSpec(width, height, seconds, audio=False)))
    assert (info.width, info.height) == (width, height)
    assert info.codec == "h264"
    assert info.pix_fmt == "yuv420p"
    assert info.frames == seconds * FPS
    assert abs(info.duration - seconds) <= TOLERANCE
    assert abs(info.video_duration - seconds) <= TOLERANCE
    assert info.audio_codecs == []


@pytest.mark.parametrize("seconds", [1, 5])
def test_audio_track_present_with_matching_duration(seconds: int) -> None:
    info = _probe(render_mp4(VideoSpec(640, 360, seconds, audio=True)))
    assert info.audio_codecs == ["aac"]
    assert info.audio_duration is not None
    assert abs(info.audio_duration - seconds) <= TOLERANCE
    assert abs(info.duration - seconds) <= TOLERANCE


def test_decodes_first_and_last_frame() -> None:
    spec = VideoSpec(848, 480, 3, audio=True, seed=5)
    with av.open(io.BytesIO(render_mp4(spec)), mode="r") as c:
        frames = list(c.decode(video=0))
    assert len(frames) == spec.seconds * FPS
    first, last = frames[0], frames[-1]
    assert (first.width, first.height) == (last.width, last.height) == (848, 480)
    assert first.time == 0
    assert last.time == pytest.approx(spec.seconds - 1 / FPS)
    # The picture is not blank: the bar makes luma vary within a row.
    row = bytes(last.planes[0])[: last.width]
    assert len(set(row)) > 1


def test_faststart_puts_moov_before_mdat() -> None:
    data = render_mp4(VideoSpec(320, 240, 2, audio=True))
    assert 0 < data.find(b"moov") < data.find(b"mdat")


def test_no_wall_clock_or_library_tags() -> None:
    data = render_mp4(VideoSpec(320, 240, 1, audio=True))
    mvhd = data.find(b"mvhd")
    assert data[mvhd + 8 : mvhd + 16] == bytes(8)  # creation + modification time
    assert b"Lavf" not in data and b"Lavc" not in data


def test_same_spec_same_bytes_different_seed_different_bytes() -> None:
    spec = VideoSpec(640, 360, 2, audio=True, seed=1)
    first = render_mp4(spec)
    assert render_mp4(spec) == first
    assert render_mp4(VideoSpec(640, 360, 2, audio=True, seed=2)) != first
    assert render_mp4(VideoSpec(640, 360, 2, audio=False, seed=1)) != first


def test_bitexact_across_processes() -> None:
    spec = VideoSpec(640, 360, 2, audio=True, seed=9)
    code = (
        "import hashlib, sys; from vidmock.media import VideoSpec, render_mp4;"
        "sys.stdout.write(hashlib.sha256(render_mp4(VideoSpec(640, 360, 2, True, 9))).hexdigest())"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout == hashlib.sha256(render_mp4(spec)).hexdigest()


@pytest.mark.parametrize(("width", "height", "seconds"), [(3, 2, 1), (2, 5, 1), (0, 2, 1), (2, 2, 0)])
def test_rejects_unrepresentable_specs(width: int, height: int, seconds: int) -> None:
    with pytest.raises(ValueError):
        VideoSpec(width, height, seconds, audio=False)


def _fake_render(calls: list[VideoSpec]) -> Callable[[VideoSpec], bytes]:
    def render(spec: VideoSpec) -> bytes:
        calls.append(spec)
        return repr(spec).encode()

    return render


def test_cache_returns_identical_bytes_and_uses_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = VideoSpec(320, 240, 2, audio=True, seed=3)
    cache = MediaCache(tmp_path)
    data = cache.get(spec)
    assert data == render_mp4(spec)
    assert cache.get(spec) is data  # memory hit
    assert [p.name for p in tmp_path.iterdir()] == [spec.cache_name()]  # no tmp files left

    def boom(spec: VideoSpec) -> bytes:
        raise AssertionError("should have been served from the disk cache")

    monkeypatch.setattr(media, "render_mp4", boom)
    assert MediaCache(tmp_path).get(spec) == data
    with pytest.raises(AssertionError):
        MediaCache(None).get(spec)  # memory-only cache really does render


def test_cache_name_covers_every_field() -> None:
    base = VideoSpec(640, 360, 2, audio=True, seed=1)
    variants = [
        base,
        VideoSpec(360, 640, 2, True, 1),
        VideoSpec(640, 360, 3, True, 1),
        VideoSpec(640, 360, 2, False, 1),
        VideoSpec(640, 360, 2, True, 2),
    ]
    assert len({v.cache_name() for v in variants}) == len(variants)
    assert f"v{media.FORMAT_VERSION}" in base.cache_name()


def test_cache_lru_evicts_oldest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[VideoSpec] = []
    monkeypatch.setattr(media, "render_mp4", _fake_render(calls))
    cache = MediaCache(None, capacity=2)
    a, b, c = (VideoSpec(64, 64, 1, False, seed) for seed in range(3))
    cache.get(a), cache.get(b), cache.get(a), cache.get(c)  # c evicts b, not a
    cache.get(a)
    assert calls == [a, b, c]
    cache.get(b)
    assert calls == [a, b, c, b]


def test_concurrent_callers_render_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[VideoSpec] = []
    fake = _fake_render(calls)

    def slow(spec: VideoSpec) -> bytes:
        time.sleep(0.1)  # keep the render in flight while the others arrive
        return fake(spec)

    monkeypatch.setattr(media, "render_mp4", slow)
    cache, spec = MediaCache(None), VideoSpec(64, 64, 1, False)
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get(spec))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [spec]
    assert len(results) == 8 and len(set(results)) == 1


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_ffprobe_agrees(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(render_mp4(VideoSpec(1024, 1792, 2, audio=True)))
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    probe = json.loads(out.stdout)
    assert Fraction(probe["format"]["duration"]) == pytest.approx(2, abs=TOLERANCE)
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 1024, 1792)
    assert {s["codec_type"] for s in probe["streams"]} == {"video", "audio"}
