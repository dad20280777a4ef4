"""Every signature the ErrorGrouper gives on the Lambda corpus, for checking that a speed change changes no output.

For each seed, both of the bot's paths (`/errors`: one grouper per log group's window; the `log_errors` check: one per
30 s run of a log group, as `bench lambda_grouping` splits them) are run and each grouped event is written as one
line: seed, path, log group, the event's place in its batch, key, kind, title, template, culprit, in the order the
grouper gives them. A digest per seed and path is printed; compare the files (or the digests) before and after.

    .venv/bin/python bench/grouping/signature_dump.py /tmp/before.tsv [--seeds 1,2,3,4,5]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="file to write the signatures to")
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    from bench.lambda_corpus import generate
    from bench.lambda_corpus.groupers import errors_command_batches, log_errors_check_batches
    from bot.grouping import ErrorGrouper

    paths = (("errors", errors_command_batches), ("check", log_errors_check_batches))
    with open(args.out, "w") as out:
        for seed in (int(seed) for seed in args.seeds.split(",")):
            events = generate(seed, args.events, 30, 12)
            for name, split in paths:
                digest, count = hashlib.sha256(), 0
                for log_group, batch in split(events):
                    place = {id(event): i for i, event in enumerate(batch)}
                    for event, sig in ErrorGrouper().group(batch):
                        shown = (sig.key, sig.kind, sig.title, sig.template, sig.culprit)
                        fields = (seed, name, log_group, place[id(event)], *shown)
                        line = "\t".join(map(repr, fields)) + "\n"
                        out.write(line)
                        digest.update(line.encode())
                        count += 1
                print(f"seed {seed} {name}: {count} signatures, sha256 {digest.hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
