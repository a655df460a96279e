"""Synthetic shop for bench/scale.sh: items with power-law popularity
(density proportional to rank^-0.9, a long tail of rare items), customers
drawn uniformly, one interaction per line in time order. Seeded, so two runs
write the same files.

python3 bench/scale_data.py DIR [ITEMS CUSTOMERS INTERACTIONS [SEED]]
writes DIR/items.csv, DIR/customers.csv and DIR/interactions.csv.
"""

import os
import random
import sys

S = 0.9
CATEGORIES = ["shoes", "shirts", "books", "garden", "kitchen", "toys", "music", "sport"]
KINDS = ["view"] * 6 + ["click"] * 2 + ["cart", "purchase"]
START = 1_700_000_000


def main() -> None:
    out = sys.argv[1]
    n_items, n_customers, n_interactions = (
        int(a) for a in (sys.argv[2:5] + ["100000", "50000", "1000000"][len(sys.argv[2:5]):])
    )
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 7
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    with open(f"{out}/items.csv", "w") as f:
        f.write("sku,name,category,price\n")
        for i in range(n_items):
            f.write(f"sku-{i},Item {i},{CATEGORIES[i % len(CATEGORIES)]},{1 + (i * 37) % 200}.99\n")
    with open(f"{out}/customers.csv", "w") as f:
        f.write("external_id,name\n")
        for c in range(n_customers):
            f.write(f"c-{c},Customer {c}\n")
    top = n_items ** (1.0 - S) - 1.0
    inverse = 1.0 / (1.0 - S)
    uniform = rng.random
    with open(f"{out}/interactions.csv", "w", buffering=1 << 20) as f:
        f.write("customer,item,kind,occurred_at\n")
        lines = []
        for t in range(n_interactions):
            customer = int(uniform() * n_customers)
            item = min(max(int((1.0 + uniform() * top) ** inverse), 1), n_items) - 1
            kind = KINDS[int(uniform() * len(KINDS))]
            lines.append(f"c-{customer},sku-{item},{kind},{START + t * 3}\n")
            if len(lines) == 100_000:
                f.writelines(lines)
                lines.clear()
        f.writelines(lines)


if __name__ == "__main__":
    main()
