"""Plot how often a behaviour happens per scenario family, from tarmac.mine, as an SVG.

    tarmac eval --policy expert+delay=0.5 --suite configs/suites/default.yaml \
        --log-episodes --out eval-delay
    PYTHONPATH=build/dev/python /usr/bin/python3 examples/python/plot_behaviour.py \
        eval-delay/episodes --behaviour late_brake_after_cut_in --out late_brake.svg

One bar per family: the share of episodes with the behaviour, with its 95 % interval (what
`tarmac mine` reports), written as a self-contained SVG (no plotting library needed).
"""

import argparse
import html

import tarmac


def bars_svg(title, rows):
    """rows: (label, estimate, low, high), shares in [0, 1]."""
    width, bar, gap, left, top = 640, 26, 10, 120, 40
    height = top + len(rows) * (bar + gap) + 30
    scale = (width - left - 40)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'font-family="sans-serif" font-size="12">',
           f'<text x="{left}" y="20" font-size="14">{html.escape(title)}</text>']
    for i, (label, estimate, low, high) in enumerate(rows):
        y = top + i * (bar + gap)
        out.append(f'<text x="{left - 8}" y="{y + bar * 0.65}" text-anchor="end">'
                   f'{html.escape(label)}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{estimate * scale:.1f}" height="{bar}" '
                   'fill="#4c78a8"/>')
        out.append(f'<line x1="{left + low * scale:.1f}" x2="{left + high * scale:.1f}" '
                   f'y1="{y + bar / 2}" y2="{y + bar / 2}" stroke="black" stroke-width="2"/>')
        out.append(f'<text x="{left + high * scale + 6:.1f}" y="{y + bar * 0.65}">'
                   f'{estimate:.0%} [{low:.0%}, {high:.0%}]</text>')
    axis = top + len(rows) * (bar + gap)
    out.append(f'<text x="{left}" y="{axis + 16}">share of episodes with the behaviour '
               '(95 % interval)</text>')
    out.append("</svg>")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sources", nargs="+", help="episode logs or directories of them")
    parser.add_argument("--behaviour", default="late_brake_after_cut_in")
    parser.add_argument("--behaviours", default="", help="behaviours file (default: built in)")
    parser.add_argument("--out", default="behaviour.svg")
    args = parser.parse_args()
    result = tarmac.mine(args.sources, behaviours=args.behaviours)
    found = [b for b in result["behaviours"] if b["name"] == args.behaviour]
    if not found:
        names = ", ".join(b["name"] for b in result["behaviours"])
        raise SystemExit(f"plot_behaviour: no behaviour {args.behaviour}; the file has {names}")
    rows = [(f["group"], f["per_episode"]["estimate"], f["per_episode"]["low"],
             f["per_episode"]["high"]) for f in found[0]["by_family"]]
    title = f"{args.behaviour} in {result['episodes']} episodes"
    with open(args.out, "w", encoding="utf-8") as svg:
        svg.write(bars_svg(title, rows))
    for label, estimate, low, high in rows:
        print(f"{label:<12} {estimate:6.1%} [{low:.1%}, {high:.1%}]")
    print(f"plot_behaviour: wrote {args.out}")


if __name__ == "__main__":
    main()
