"""Privacy randomness: the random bits of the Poisson sampler and of the DP noise, which nobody can replay.

DP-SGD's guarantee holds only if nobody can recompute which examples each step sampled and which
noise it added: whoever can, subtracts the noise and reads the data off the released weights.
So a DP run draws both from a secret key of 256 bits of OS entropy (`secrets`), taken at every
fresh start, never derived from `--seed`, and kept only in the private checkpoint (resume needs it).

Bits come from ChaCha20 (RFC 8439, through OpenSSL in `cryptography`), a cryptographically secure
stream cipher, keyed per purpose with HMAC-SHA256(key, purpose); each draw names a counter (the
step), so the stream of step t is the same whenever it is drawn and resume needs only the key and
the step. torch's generators take a 64-bit seed and are not cryptographic; numpy's are not either.

Gaussian noise follows Opacus' `secure_mode` (`opacus.optimizers.optimizer._generate_noise`):
floating-point Gaussian samplers leave gaps that tell which mean a sample was drawn around
(Jin et al. 2022, arXiv 2112.05307); the sum of 2n draws over sqrt(2n) closes them (Holohan &
Braghin 2021, arXiv 2107.10138, section 5.1); Opacus takes n = 2: four draws, halved. Each draw
is Box-Muller on 24-bit uniforms in float32, as torch's own CPU `normal_` computes it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

KEY_BYTES = 32  # 256 bits of OS entropy; ChaCha20 takes a 256-bit key
SAMPLER = "poisson-sampling"
NOISE = "gaussian-noise"
_GAUSSIAN = "Gaussian as Opacus secure_mode: the sum of four Box-Muller draws, halved"
NOISE_RNG = f"ChaCha20 keyed by 256 bits of OS entropy drawn at the run's start (Poisson sampling and noise); {_GAUSSIAN}"
NOISE_RNG_FIXED = f"ChaCha20 keyed by a key the caller chose, not secret (Poisson sampling and noise); {_GAUSSIAN}"
_CHUNK = 1 << 18  # noise elements per keystream chunk: about 12 MB of work space; fewer, larger torch ops
_ZEROS = bytes(16 * _CHUNK)  # what ChaCha20 encrypts to give its keystream
_TWO_PI = 2.0 * math.pi


def _derive(key: bytes, purpose: str) -> bytes:
    return hmac.new(key, purpose.encode("utf-8"), hashlib.sha256).digest()


@dataclass(frozen=True)
class PrivateStream:
    """A ChaCha20 keystream for one purpose; `counter` (< 2**96) picks an independent block of it."""

    key: bytes = field(repr=False)

    def _encryptor(self, counter: int):
        # RFC 8439 layout: a 32-bit block counter (from 0), then the 96-bit nonce, here the counter.
        nonce = bytes(4) + counter.to_bytes(12, "little")
        return Cipher(algorithms.ChaCha20(self.key, nonce), mode=None).encryptor()

    def random_bytes(self, counter: int, n: int) -> bytes:
        return self._encryptor(counter).update(bytes(n))

    def bernoulli(self, counter: int, n: int, p: float) -> np.ndarray:
        """n independent coin flips with P(True) = p, to within 2**-64."""
        threshold = math.floor(Fraction(p) * 2**64)
        if threshold >= 2**64:
            return np.ones(n, dtype=bool)
        words = np.frombuffer(self.random_bytes(counter, 8 * n), dtype="<u8")
        return words < np.uint64(threshold)

    def gaussian(self, counter: int) -> GaussianDraws:
        """Gaussian noise for consecutive tensors, from block `counter` of the stream."""
        return GaussianDraws(self._encryptor(counter))


class GaussianDraws:
    """N(0, std²) noise tensor after tensor, from one keystream (Opacus' secure_mode recipe, see the module doc)."""

    def __init__(self, encryptor: Any):
        self._encryptor = encryptor
        self._buffer = bytearray(16 * _CHUNK)

    def sample(self, shape: torch.Size | tuple[int, ...], std: float) -> torch.Tensor:
        out = torch.empty(shape, dtype=torch.float32)
        flat = out.view(-1)
        words = torch.frombuffer(self._buffer, dtype=torch.int32)
        for start in range(0, flat.numel(), _CHUNK):
            k = min(_CHUNK, flat.numel() - start)
            self._encryptor.update_into(memoryview(_ZEROS)[:16 * k], self._buffer)
            # four 24-bit uniforms per element (torch's float convention): u in [0, 1 - 2**-24]
            u = ((words[:4 * k].view(4, k) >> 8) & 0xFFFFFF).to(torch.float32).mul_(2.0**-24)
            radius = torch.log1p(-u[0::2]).mul_(-2.0).sqrt_()  # 1 - u in (0, 1]: no log(0)
            angle = u[1::2].mul_(_TWO_PI)
            cos = torch.cos(angle).mul_(radius)  # two Box-Muller pairs: four independent N(0, 1) draws
            sin = angle.sin_().mul_(radius)
            total = flat[start:start + k]
            torch.add(cos[0], sin[0], out=total).add_(cos[1]).add_(sin[1])
        return out.mul_(std / 2.0)

    def samples(self, shapes: list[torch.Size], std: float) -> Iterator[torch.Tensor]:
        """One noise tensor per shape, in order; consecutive small shapes share one draw (a model's many
        biases and norms would otherwise cost a dozen torch calls each), so memory stays within a chunk."""
        group: list[torch.Size] = []
        for shape in [*shapes, None]:
            if group and (shape is None or sum(math.prod(g) for g in group) + math.prod(shape) > _CHUNK):
                flat = self.sample((sum(math.prod(g) for g in group),), std)
                yield from (part.view(g) for part, g in zip(flat.split([math.prod(g) for g in group]), group, strict=True))
                group = []
            if shape is not None:
                group.append(shape)


@dataclass(frozen=True)
class PrivacyRandomness:
    """The secret of one run's privacy randomness, and the streams derived from it.

    Create it once per run: `fresh()` for a DP run (OS entropy), `from_seed(seed)` for --no-dp
    (nothing to hide; the same seed gives the same batches). `sampler` and `noise` feed training;
    `stream(purpose)` and `numpy_generator(purpose)` give other private draws (e.g. which audit
    canaries are included) streams independent of those and of each other.
    """

    key: bytes = field(repr=False)
    from_os_entropy: bool

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise ValueError(f"the privacy key must be {KEY_BYTES} bytes")

    @classmethod
    def fresh(cls) -> PrivacyRandomness:
        return cls(key=secrets.token_bytes(KEY_BYTES), from_os_entropy=True)

    @classmethod
    def fixed(cls, key: bytes) -> PrivacyRandomness:
        """A key chosen by the caller (tests): not secret, so the ledger never calls it secure."""
        return cls(key=bytes(key), from_os_entropy=False)

    @classmethod
    def from_seed(cls, seed: int) -> PrivacyRandomness:
        """Without DP: batches reproducible from --seed, as everything else in the run."""
        return cls(key=hashlib.sha256(f"rai-train --no-dp --seed {seed}".encode()).digest(), from_os_entropy=False)

    @property
    def description(self) -> str:
        """The ledger's `noise_rng`."""
        return NOISE_RNG if self.from_os_entropy else NOISE_RNG_FIXED

    def stream(self, purpose: str) -> PrivateStream:
        return PrivateStream(_derive(self.key, f"stream:{purpose}"))

    @property
    def sampler(self) -> PrivateStream:
        return self.stream(SAMPLER)

    @property
    def noise(self) -> PrivateStream:
        return self.stream(NOISE)

    def numpy_generator(self, purpose: str) -> np.random.Generator:
        """A numpy generator keyed by 128 secret bits for `purpose` (Philox: fast, not cryptographic)."""
        return np.random.Generator(np.random.Philox(key=int.from_bytes(_derive(self.key, f"numpy:{purpose}")[:16], "little")))

    def to_state(self) -> dict[str, Any]:
        """For the private checkpoint only."""
        return {"key": self.key.hex(), "from_os_entropy": self.from_os_entropy}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PrivacyRandomness:
        return cls(key=bytes.fromhex(state["key"]), from_os_entropy=bool(state["from_os_entropy"]))
