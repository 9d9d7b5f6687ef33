"""Real, playable MP4 clips for the fake video-generation API.

Clients download the MP4 and probe it (duration, size, audio track) or play
it, so the mock serves genuine H.264/AAC files, not placeholder bytes:

* exact: duration is exactly ``seconds``, picture exactly ``width`` x ``height``;
* deterministic: the same :class:`VideoSpec` gives byte-identical output in any
  process (no wall-clock times; ``bitexact`` flags keep library tags out);
* cheap: a low frame rate, x264 ``ultrafast`` and flat, well-compressing
  content render even a 30 s 4K clip in about a second.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import pathlib
import struct
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction

import anyio.to_thread
import av

# Bump whenever the bytes for a spec change (encoder settings, picture...) so
# stale disk cache files are ignored.  The PyAV version, which pins the bundled
# ffmpeg/x264 builds, is part of the cache key as well.
FORMAT_VERSION = 1
# Encoding cost is linear in frame count, and players cope with any rate.  An
# integer rate makes every whole-second duration an exact number of frames.
FPS = 2
SAMPLE_RATE = 48_000
_AAC_FRAME = 1024
# 375 Hz has a period of exactly 128 samples at 48 kHz, so a single
# precomputed AAC frame of tone repeats seamlessly.
_TONE_HZ, _TONE_AMPLITUDE = 375, 0.05  # quiet: about -26 dBFS
_TONE = struct.pack(  # one AAC frame of float32 samples
    f"<{_AAC_FRAME}f",
    *(_TONE_AMPLITUDE * math.sin(2 * math.pi * _TONE_HZ * i / SAMPLE_RATE) for i in range(_AAC_FRAME)),
)
_BITEXACT = {"flags": "+bitexact"}


@dataclass(frozen=True)
class VideoSpec:
    width: int
    height: int
    seconds: int  # exact duration in whole seconds, >= 1
    audio: bool  # include an AAC audio track
    seed: int = 0  # changes the picture so different jobs differ deterministically

    def __post_init__(self) -> None:
        # yuv420p subsamples chroma 2x2, so odd sizes cannot be represented.
        if self.width < 2 or self.height < 2 or self.width % 2 or self.height % 2:
            raise ValueError(f"width/height must be even and >= 2: {self.width}x{self.height}")
        if self.seconds < 1:
            raise ValueError(f"seconds must be >= 1: {self.seconds}")

    def cache_name(self) -> str:
        """Disk cache file name: every input that determines the bytes."""
        audio = "a" if self.audio else "n"
        size = f"{self.width}x{self.height}"
        return f"v{FORMAT_VERSION}-av{av.__version__}-{size}-{self.seconds}s-{audio}-{self.seed}.mp4"


def _planes(spec: VideoSpec, strides: list[int], x: int, bar_w: int) -> list[bytes]:
    """Y, U, V planes: flat seed colour with a white vertical bar at ``x``.

    Rows are padded to the frame's ``line_size`` (``strides``); ``x`` and
    ``bar_w`` are even so the bar lines up in the half-size chroma planes.
    """
    h = (spec.seed * 2654435761) & 0xFFFFFFFF  # Knuth hash spreads nearby seeds
    colour = (96 + (h & 0x3F), 64 + (h >> 8 & 0x7F), 64 + (h >> 16 & 0x7F))
    planes = []
    for i, (stride, value, white) in enumerate(zip(strides, colour, (235, 128, 128), strict=False)):
        shift = 0 if i == 0 else 1
        row = bytearray([value]) * stride
        row[x >> shift : (x + bar_w) >> shift] = bytes([white]) * (bar_w >> shift)
        planes.append(bytes(row) * (spec.height >> shift))
    return planes


class _SharedReader:
    """Second, read-only handle on the output buffer, with its own position.

    ``+faststart`` makes the muxer re-open its output by name to move the media
    data behind the ``moov`` atom; a BytesIO has no name, so ``io_open`` hands
    out this instead (like a second file descriptor on the same file).
    """

    def __init__(self, buf: io.BytesIO) -> None:
        self._buf, self._pos = buf, 0

    def read(self, size: int) -> bytes:
        saved = self._buf.tell()  # the muxer is writing through the same buffer
        self._buf.seek(self._pos)
        data = self._buf.read(size)
        self._buf.seek(saved)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._buf.getbuffer().nbytes}
        self._pos = base[whence] + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:  # the writer still owns the buffer
        pass


def render_mp4(spec: VideoSpec) -> bytes:
    """Encode ``spec`` as H.264 (+ AAC) MP4 bytes.  Pure: same spec -> same bytes."""
    buf = io.BytesIO()
    # fflags=+bitexact keeps the version-specific "Lavf..." tag out (mov times
    # stay 0 as no creation_time is set); +faststart puts the moov atom first
    # so playback can start while streaming.
    options = {"movflags": "+faststart", "fflags": "+bitexact"}
    reopen = lambda url, flags, opts: _SharedReader(buf)  # noqa: E731
    with av.open(buf, mode="w", format="mp4", container_options=options, io_open=reopen) as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
        video.time_base = Fraction(1, FPS)
        # A keyframe every 2 s keeps seeking cheap.  threads is pinned because
        # x264's output depends on it; "auto" would vary the bytes per machine.
        video.codec_context.options = {"preset": "ultrafast", "g": str(2 * FPS), "threads": "2", **_BITEXACT}
        audio = None
        if spec.audio:
            audio = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
            audio.time_base = Fraction(1, SAMPLE_RATE)
            audio.bit_rate = 32_000  # several times faster to encode than the default
            audio.codec_context.options = dict(_BITEXACT)

        bar_w, sweep = max(2, spec.width // 32 & ~1), 4 * FPS  # bar crosses every 4 s
        phase = ((spec.seed * 2654435761 & 0xFFFFFFFF) >> 24) % sweep  # seeds move differently too
        total_samples, sample = spec.seconds * SAMPLE_RATE, 0
        for i in range(spec.seconds * FPS):
            frame = av.VideoFrame(spec.width, spec.height, "yuv420p")
            x = ((i + phase) % sweep) * (spec.width - bar_w) // (sweep - 1) & ~1
            strides = [p.line_size for p in frame.planes]
            for plane, data in zip(frame.planes, _planes(spec, strides, x, bar_w), strict=False):
                plane.update(data)
            frame.pts = i
            container.mux(video.encode(frame))
            # Feed audio alongside so the muxer interleaves without buffering a
            # whole track.  The AAC encoder accepts a short final frame, which
            # is what keeps the audio duration exact.
            while audio is not None and sample < (i + 1) * SAMPLE_RATE // FPS:
                count = min(_AAC_FRAME, total_samples - sample)
                chunk = av.AudioFrame(format="fltp", layout="mono", samples=count)
                chunk.planes[0].update(_TONE[: 4 * count])
                chunk.sample_rate, chunk.pts = SAMPLE_RATE, sample
                container.mux(audio.encode(chunk))
                sample += count
        container.mux(video.encode(None))
        if audio is not None:
            container.mux(audio.encode(None))
    return buf.getvalue()


class MediaCache:
    """Thread-safe memory LRU of rendered clips, backed by an optional directory.

    A 4K render costs about a second and the mock serves the same few specs
    repeatedly.  Concurrent callers for one spec wait for a single render.
    """

    # Distinct looks per size: jobs differ by seed, and re-encoding for every job made 10,000 jobs
    # cost 10,000 encodes; a handful of variants keeps clips distinguishable and the cache warm.
    VARIANTS = 4

    def __init__(self, directory: pathlib.Path | None, capacity: int = 8) -> None:
        self._directory, self._capacity = directory, capacity
        # One encode at a time: x264 already uses both cores, and parallel 4K encodes were what
        # drove peak memory past a gigabyte.
        self._render_gate = threading.Semaphore(1)
        self._lock = threading.Lock()  # guards the two dicts below
        self._memory: OrderedDict[VideoSpec, bytes] = OrderedDict()
        self._pending: dict[VideoSpec, threading.Lock] = {}  # per-spec render locks
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    def get(self, spec: VideoSpec) -> bytes:
        spec = dataclasses.replace(spec, seed=spec.seed % self.VARIANTS)
        data = self._from_memory(spec)
        if data is not None:
            return data
        with self._lock:
            spec_lock = self._pending.setdefault(spec, threading.Lock())
        with spec_lock:
            try:
                # Whoever held spec_lock before us may have produced it already.
                data = self._from_memory(spec) or self._from_disk(spec)
                if data is None:
                    with self._render_gate:
                        data = render_mp4(spec)
                    self._to_disk(spec, data)
                with self._lock:
                    self._memory[spec] = data
                    self._memory.move_to_end(spec)
                    while len(self._memory) > self._capacity:
                        self._memory.popitem(last=False)
            finally:
                with self._lock:
                    if self._pending.get(spec) is spec_lock:
                        del self._pending[spec]
        return data

    async def aget(self, spec: VideoSpec) -> bytes:
        """``get`` for the event loop: a video already in memory is returned at once; one that
        must be read or rendered is made on a worker thread (an encode takes real time)."""
        data = self._from_memory(dataclasses.replace(spec, seed=spec.seed % self.VARIANTS))
        if data is not None:
            return data
        return await anyio.to_thread.run_sync(self.get, spec)

    def _from_memory(self, spec: VideoSpec) -> bytes | None:
        with self._lock:
            data = self._memory.get(spec)
            if data is not None:
                self._memory.move_to_end(spec)
            return data

    def _from_disk(self, spec: VideoSpec) -> bytes | None:
        if self._directory is None:
            return None
        try:
            return (self._directory / spec.cache_name()).read_bytes()
        except FileNotFoundError:
            return None

    def _to_disk(self, spec: VideoSpec, data: bytes) -> None:
        if self._directory is None:
            return
        # Write-then-rename: readers, even in other processes, never see a
        # half-written file, and a crash leaves at most a stray ".tmp".
        fd, tmp = tempfile.mkstemp(dir=self._directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self._directory / spec.cache_name())
        except BaseException:
            os.unlink(tmp)
            raise
