"""Per-frame loss accounting for the soak (tests/soak/soak.py).

Counters (the daemons' drops by reason, the kernel's per netdev) are sampled
with their time during the stream; every frame's send time is known. Each
lost frame is charged to one count of a named counter that moved in the
interval it was sent in, or in the next one (a frame sent just before a
sample may be dropped just after it); a count is charged once. A lost frame
no count explains is unexplained: the soak fails on it.

    attribute(lost, samples) -> (charged, unexplained)
      lost:    [(flow, seq, t_sent)]
      samples: [(t, {counter: cumulative value})], in time order
      charged: [(flow, seq, t_sent, counter)]
      unexplained: [(flow, seq, t_sent)]

    runs(items) groups consecutive sequence numbers of one flow with one
    verdict, for a report that stays short.

python3 account.py runs a self-test.
"""
import bisect


def attribute(lost, samples):
    times = [t for t, _ in samples]
    names = sorted({c for _, v in samples for c in v})
    # budget[i][c]: what counter c counted between sample i and i + 1.
    budget = []
    for i in range(len(samples) - 1):
        a, b = samples[i][1], samples[i + 1][1]
        budget.append({c: b.get(c, 0) - a.get(c, 0) for c in names if b.get(c, 0) > a.get(c, 0)})
    charged, unexplained = [], []
    for flow, seq, t in sorted(lost, key=lambda x: x[2]):
        i = min(max(bisect.bisect_right(times, t) - 1, 0), max(len(budget) - 1, 0))
        who = None
        for j in (i, i + 1):
            if j < len(budget) and budget[j]:
                who = max(budget[j], key=lambda c: (budget[j][c], c))
                budget[j][who] -= 1
                if budget[j][who] == 0:
                    del budget[j][who]
                break
        if who is None:
            unexplained.append((flow, seq, t))
        else:
            charged.append((flow, seq, t, who))
    return charged, unexplained


def runs(items):
    """[(flow, seq, t, verdict...)] -> [(flow, first_seq, last_seq, t_first, t_last, verdict)]."""
    out = []
    for it in sorted(items, key=lambda x: (x[0], x[1])):
        flow, seq, t, verdict = it[0], it[1], it[2], tuple(it[3:])
        if out and out[-1][0] == flow and out[-1][2] == seq - 1 and out[-1][5] == verdict:
            f, s0, _, t0, _, v = out[-1]
            out[-1] = (f, s0, seq, t0, t, v)
        else:
            out.append((flow, seq, seq, t, t, verdict))
    return out


def _self_test():
    fails = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            fails.append(what)

    samples = [(0.0, {}), (1.0, {"a.m0.link_down": 2}), (2.0, {"a.m0.link_down": 2, "kernel.v0": 1}),
               (3.0, {"a.m0.link_down": 2, "kernel.v0": 1})]
    c, u = attribute([(0, 5, 0.5), (1, 5, 0.6)], samples)
    check(not u and [x[3] for x in c] == ["a.m0.link_down"] * 2, "two losses, two counts in their interval")
    c, u = attribute([(0, 5, 0.5), (1, 5, 0.6), (2, 5, 0.7)], samples)
    check(len(c) == 3 and not u, "a loss at the end of an interval is charged to the next one's count")
    c, u = attribute([(0, 5, 0.5), (1, 5, 0.6), (2, 5, 0.7), (3, 5, 0.8)], samples)
    check(len(u) == 1 and u[0][:2] == (3, 5), "a fourth loss, no count left: unexplained")
    c, u = attribute([(0, 9, 2.5)], samples)
    check(u == [(0, 9, 2.5)], "a loss where no counter moved is unexplained, whatever moved elsewhere")
    c, u = attribute([(0, 1, 0.1)], [(0.0, {"x": 5}), (1.0, {"x": 5})])
    check(u == [(0, 1, 0.1)], "a counter that did not move explains nothing")
    r = runs([(0, 1, 0.1, "x"), (0, 2, 0.2, "x"), (0, 3, 0.3, "y"), (1, 4, 0.4, "x")])
    check(r == [(0, 1, 2, 0.1, 0.2, ("x",)), (0, 3, 3, 0.3, 0.3, ("y",)), (1, 4, 4, 0.4, 0.4, ("x",))],
          "runs group consecutive frames of one flow and one counter")
    if fails:
        print("%d check(s) failed" % len(fails))
        raise SystemExit(1)
    print("all checks passed")


if __name__ == "__main__":
    _self_test()
