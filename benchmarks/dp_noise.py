"""Cost of the DP noise of one step on the packaged MiniLM (22.7M trained parameters), three ways.

- Opacus' default draw: one `torch.normal` per parameter from torch's Mersenne Twister (what rai
  train did before issue 11; replayable from a 64-bit seed);
- Opacus' secure_mode recipe on the same generator: four draws, halved (its defence against
  floating-point attacks; Opacus pairs it with torchcsprng, which no longer builds);
- rai train's noise: the same recipe on bits from the secret ChaCha20 stream (rai.training.randomness).

All three alternate in one process, best of --repeats, so a burst of load hits them alike.

    python benchmarks/dp_noise.py [--threads 1] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import torch
    from opacus.optimizers.optimizer import _generate_noise

    from rai.training.models import load_classifier
    from rai.training.randomness import PrivacyRandomness

    if args.threads:
        torch.set_num_threads(args.threads)
    model, _ = load_classifier(None, num_labels=2)
    params = [p for p in model.parameters() if p.requires_grad]
    generator = torch.Generator().manual_seed(0)
    randomness = PrivacyRandomness.fresh()
    steps = iter(range(10**9))

    def ours() -> None:  # as rai.training.private.PrivateNoise draws it
        for _ in randomness.noise.gaussian(next(steps)).samples([p.shape for p in params], 1.0):
            pass

    ways = {
        "Opacus default (1 draw, torch MT19937)": lambda: [_generate_noise(1.0, p, generator=generator) for p in params],
        "Opacus secure_mode recipe (4 draws, torch MT19937)": lambda: [_generate_noise(1.0, p, generator=generator, secure_mode=True)
                                                                       for p in params],
        "rai train (4 draws, ChaCha20 secret stream)": ours,
    }
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(args.repeats):
        for name, draw in ways.items():
            start = time.perf_counter()
            draw()
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"noise of one step, {sum(p.numel() for p in params)} parameters, torch threads {torch.get_num_threads()}, "
          f"best of {args.repeats}")
    for name, seconds in best.items():
        print(f"{name:52} {seconds:6.3f} s")


if __name__ == "__main__":
    main()
