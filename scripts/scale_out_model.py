#!/usr/bin/env python3
"""The cost model of docs/scale-out.md: the time of one data-parallel training step on N nodes, from
measured per-step compute and the bytes each step exchanges, with the network's bandwidth and latency as
parameters. Prints the step time and speedup over one node for the exchange built today (an all-gather of
every shard's gradients, then every node sums all shards and applies Adam) and for the deterministic
reduce-scatter by slice that docs/scale-out.md describes.

  T_1(M)        = a M + b(S)                                  one node, S shards (the measured step)
  b(S)          = b0 + b1 S                                   shard sum + Adam, repeated on every node
  allgather:    T_N = a M / N + b(N s) + c (N - 1) alpha + (N - 1) s P 4 / beta
  by slice:     T_N = a M / N + b(N s) / N + 2 c (N - 1) alpha + (s + 1) P 4 (N - 1) / N / beta
with s shards per node, P parameters (float32), c collectives per step, alpha the latency of one message
and beta the bandwidth of one node's link. Defaults: reference BCQ (docs/scale-out.md, measured on this
machine): a = 0.211 ms per row at 1 thread, b0 = 1.2 ms, b1 = 0.55 ms, P = 1,753,574, c = 6.

usage: scripts/scale_out_model.py [--a MS] [--b0 MS] [--b1 MS] [--params P] [--shards-per-node s]
                                  [--collectives c]
"""
import argparse

NETWORKS = {"10 GbE (1.25 GB/s, 50 us)": (1.25e9, 50e-6), "100 Gb/s (12.5 GB/s, 5 us)": (12.5e9, 5e-6)}


def step_ms(kind, n, m, a, b0, b1, params, s, c, beta, alpha):
    compute = a * m / n
    b = b0 + b1 * n * s
    if n == 1:
        return compute + b0 + b1 * s
    if kind == "allgather":
        return compute + b + 1e3 * (c * (n - 1) * alpha + (n - 1) * s * params * 4 / beta)
    return compute + b / n + 1e3 * (2 * c * (n - 1) * alpha + (s + 1) * params * 4 * (n - 1) / n / beta)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--a", type=float, default=0.211, help="ms of compute per minibatch row on one node")
    p.add_argument("--b0", type=float, default=1.2, help="ms: Adam and the fixed part of the shard sum")
    p.add_argument("--b1", type=float, default=0.55, help="ms per shard summed")
    p.add_argument("--params", type=float, default=1753574, help="parameters updated per step")
    p.add_argument("--shards-per-node", type=int, default=1)
    p.add_argument("--collectives", type=int, default=6)
    args = p.parse_args()
    nodes = [1, 2, 4, 8, 16, 32, 64]
    print(f"a {args.a} ms/row, b0 {args.b0} ms, b1 {args.b1} ms/shard, P {args.params:.0f}, "
          f"{args.shards_per_node} shard(s) per node, {args.collectives} collectives per step\n")
    for net, (beta, alpha) in NETWORKS.items():
        for kind in ("allgather", "by slice"):
            print(f"{net}, {kind}: ms per step (speedup over one node)")
            print("| M | " + " | ".join(f"N={n}" for n in nodes) + " |")
            print("|---|" + "---|" * len(nodes))
            for m in (256, 1024, 4096, 16384):
                one = step_ms(kind, 1, m, args.a, args.b0, args.b1, args.params, args.shards_per_node,
                              args.collectives, beta, alpha)
                cells = []
                for n in nodes:
                    t = step_ms(kind, n, m, args.a, args.b0, args.b1, args.params, args.shards_per_node,
                                args.collectives, beta, alpha)
                    cells.append(f"{t:.1f} ({one / t:.1f}x)")
                print(f"| {m} | " + " | ".join(cells) + " |")
            print()


if __name__ == "__main__":
    main()
