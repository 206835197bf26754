"""The privacy randomness: secret keys, independent streams, exact Poisson rates and Opacus' secure-mode Gaussian."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from rai.training import randomness as rnd
from rai.training.randomness import PrivacyRandomness

KEY = bytes(range(32))


def test_fresh_keys_are_256_random_bits_and_never_shown():
    a, b = PrivacyRandomness.fresh(), PrivacyRandomness.fresh()
    assert len(a.key) == 32 and a.key != b.key and a.from_os_entropy
    assert a.key.hex() not in repr(a) and a.key.hex() not in repr(a.noise) and a.key.hex() not in repr(a.sampler)
    assert not PrivacyRandomness.fixed(KEY).from_os_entropy and not PrivacyRandomness.from_seed(0).from_os_entropy
    assert PrivacyRandomness.from_state(a.to_state()) == a
    with pytest.raises(ValueError):
        PrivacyRandomness.fixed(b"only sixteen byt")  # 128 bits: too short for the 256-bit ChaCha20 key


def test_streams_depend_on_key_purpose_and_counter_only():
    r = PrivacyRandomness.fixed(KEY)
    assert r.sampler.random_bytes(5, 64) == PrivacyRandomness.fixed(KEY).sampler.random_bytes(5, 64)
    draws = {r.sampler.random_bytes(5, 64), r.sampler.random_bytes(6, 64), r.noise.random_bytes(5, 64),
             r.stream("audit-canaries").random_bytes(5, 64), PrivacyRandomness.fixed(bytes(32)).sampler.random_bytes(5, 64)}
    assert len(draws) == 5
    # a longer draw of one counter extends the shorter one: the counter picks a stream, not a seed per call
    assert r.noise.random_bytes(7, 1000)[:100] == r.noise.random_bytes(7, 100)
    assert PrivacyRandomness.from_seed(3).sampler.random_bytes(0, 32) == PrivacyRandomness.from_seed(3).sampler.random_bytes(0, 32)
    assert PrivacyRandomness.from_seed(3).key != PrivacyRandomness.from_seed(4).key


def test_numpy_generator_is_keyed_per_purpose():
    r = PrivacyRandomness.fixed(KEY)
    first = r.numpy_generator("audit-canaries").integers(0, 2, size=64)
    assert np.array_equal(first, PrivacyRandomness.fixed(KEY).numpy_generator("audit-canaries").integers(0, 2, size=64))
    assert not np.array_equal(first, r.numpy_generator("other").integers(0, 2, size=64))
    assert not np.array_equal(first, PrivacyRandomness.fresh().numpy_generator("audit-canaries").integers(0, 2, size=64))


def test_bernoulli_rate_is_exact():
    stream = PrivacyRandomness.fixed(KEY).sampler
    for p in (0.25, 1 / 3, 0.01):
        n = 400_000
        hits = int(stream.bernoulli(11, n, p).sum())
        assert abs(hits - n * p) < 5 * math.sqrt(n * p * (1 - p))
    assert stream.bernoulli(0, 1000, 1.0).all() and not stream.bernoulli(0, 1000, 0.0).any()
    # P(True) = floor(p 2^64) / 2^64: a word just below the threshold is in, at it is out
    words = np.frombuffer(stream.random_bytes(4, 8 * 1000), dtype="<u8")
    assert np.array_equal(stream.bernoulli(4, 1000, 0.5), words < np.uint64(2**63))


def _secure_mode_by_hand(raw: bytes, n: int, std: float) -> np.ndarray:
    """The recipe written out in float64 with numpy: 4 Box-Muller draws per element from 24-bit uniforms, summed, halved."""
    words = np.frombuffer(raw, dtype="<u4").reshape(4, n)
    u = (words >> 8).astype(np.float64) * 2.0**-24
    radius = np.sqrt(-2.0 * np.log(1.0 - u[[0, 2]]))
    angle = 2.0 * np.pi * u[[1, 3]]
    return (radius * np.cos(angle) + radius * np.sin(angle)).sum(axis=0) * std / 2.0


def test_gaussian_is_opacus_secure_mode_from_the_keystream():
    stream = PrivacyRandomness.fixed(KEY).noise
    n = 1000
    noise = stream.gaussian(3).sample((10, 100), 0.7)
    assert noise.dtype == torch.float32 and noise.shape == (10, 100)
    expected = _secure_mode_by_hand(stream.random_bytes(3, 16 * n), n, 0.7)
    np.testing.assert_allclose(noise.flatten().numpy(), expected, rtol=0, atol=1e-5)


def test_gaussian_is_normal_with_the_given_std_across_chunks():
    draws = PrivacyRandomness.fixed(KEY).noise.gaussian(0)
    n = 2 * rnd._CHUNK + 12345  # three chunks, the last one partial
    z = draws.sample((n,), 2.5).double().numpy() / 2.5
    assert abs(z.mean()) < 5 / math.sqrt(n) and abs(z.std() - 1) < 5 / math.sqrt(2 * n)
    assert abs(stats.kurtosis(z)) < 0.02  # excess kurtosis of a normal: 0
    assert stats.kstest(z, "norm").pvalue > 1e-3
    chunks = z[: 2 * rnd._CHUNK].reshape(2, -1)
    assert not np.array_equal(chunks[0], chunks[1])  # the stream moves on from chunk to chunk
    again = draws.sample((1000,), 1.0)  # the next tensor continues the keystream
    assert not torch.equal(again, torch.from_numpy(z[:1000]).float())


def test_small_tensors_share_a_draw_and_large_ones_span_chunks():
    shapes = [torch.Size([3, 4]), torch.Size([5]), torch.Size([]), torch.Size([rnd._CHUNK + 7]), torch.Size([2, 2])]
    parts = list(PrivacyRandomness.fixed(KEY).noise.gaussian(2).samples(shapes, 1.5))
    assert [p.shape for p in parts] == shapes
    draws = PrivacyRandomness.fixed(KEY).noise.gaussian(2)
    first = draws.sample((18,), 1.5)  # the three small ones: one draw, split
    assert torch.equal(torch.cat([p.flatten() for p in parts[:3]]), first)
    assert torch.equal(parts[3], draws.sample((rnd._CHUNK + 7,), 1.5)) and torch.equal(parts[4], draws.sample((2, 2), 1.5))


def test_gaussian_tails_match_the_sum_of_four_draws():
    """Halving four draws, each capped at sqrt(2·24·ln 2) ≈ 5.77 by 24-bit uniforms, keeps every value within 11.6."""
    z = PrivacyRandomness.fixed(KEY).noise.gaussian(9).sample((500_000,), 1.0)
    assert float(z.abs().max()) < 2 * math.sqrt(2 * 24 * math.log(2)) + 1e-3
    assert 0.0015 < float((z.abs() > 3).float().mean()) < 0.0040  # the normal's 0.27 %
