"""Noise that depends only on the seed and the sample's index, never on how time was chunked.

The twin advances in chunks whose size depends on the run's speed; drawing noise from one
generator per chunk would make the history depend on the speed. :class:`NoiseField` instead
draws fixed blocks of standard normals keyed by (seed, stream, block), so sample ``k`` of a
stream always gets the same value.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

BLOCK = 4096


class NoiseField:
    """Standard normal values indexed by an integer sample number."""

    def __init__(self, seed: int, stream: tuple[int, ...]) -> None:
        self._key = (seed, *stream)
        self._cache: dict[int, npt.NDArray[np.float64]] = {}

    def _block(self, number: int) -> npt.NDArray[np.float64]:
        block = self._cache.get(number)
        if block is None:
            sequence = np.random.SeedSequence([*self._key, number])
            block = np.random.Generator(np.random.PCG64(sequence)).standard_normal(BLOCK)
            if len(self._cache) > 4:
                self._cache.clear()
            self._cache[number] = block
        return block

    def normal(self, first: int, count: int) -> npt.NDArray[np.float64]:
        """Values for sample numbers ``first .. first + count - 1``."""
        if count <= 0:
            return np.zeros(0)
        start_block, end_block = first // BLOCK, (first + count - 1) // BLOCK
        pieces = [self._block(b) for b in range(start_block, end_block + 1)]
        joined = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
        offset = first - start_block * BLOCK
        return joined[offset : offset + count]
