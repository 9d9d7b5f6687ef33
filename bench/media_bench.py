"""Print how long vidmock.media.render_mp4 takes for a typical and a worst-case clip.

Run: .venv/bin/python bench/media_bench.py
"""

from __future__ import annotations

import time

from vidmock.media import FPS, VideoSpec, render_mp4

SPECS = [
    VideoSpec(1280, 720, 8, audio=True),
    VideoSpec(3840, 2160, 30, audio=True),
    VideoSpec(3840, 2160, 30, audio=False),
]


def main() -> None:
    print(f"fps={FPS}")
    for spec in SPECS:
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            data = render_mp4(spec)
            timings.append(time.perf_counter() - start)
        audio = "audio" if spec.audio else "no audio"
        print(
            f"{spec.width}x{spec.height} {spec.seconds}s {audio}: "
            f"best {min(timings):.3f}s, worst {max(timings):.3f}s, {len(data) / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
