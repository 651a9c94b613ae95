"""Row logic of the Glue job, checked against the golden vectors the TypeScript engine passes too
(test/fixtures/lake/golden.json), plus the checkpoint and quarantine naming it shares with it.

Run with plain `python3 glue/test_etl_rows.py` (stdlib only; no Spark needed).
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import etl_job  # noqa: E402

with open(os.path.join(HERE, "..", "test", "fixtures", "lake", "golden.json"), encoding="utf-8") as f:
    GOLDEN = json.load(f)


class GoldenLinesTest(unittest.TestCase):
    def test_each_line_gives_the_expected_row_or_reason(self):
        for case in GOLDEN["lines"]:
            with self.subTest(case["name"]):
                row, reason = etl_job.parse_raw_line(case["line"], GOLDEN["now"])
                if "reason" in case:
                    self.assertIsNone(row)
                    self.assertEqual(reason, case["reason"])
                else:
                    self.assertIsNone(reason)
                    self.assertEqual(row, case["row"])
                    self.assertEqual(etl_job.partition_date(row["ts"]), case["dt"])

    def test_dedupe_keeps_the_expected_rows_in_order(self):
        for case in GOLDEN["dedupe"]:
            with self.subTest(case["name"]):
                rows = [etl_job.parse_raw_line(line, GOLDEN["now"])[0] for line in case["lines"]]
                unique, duplicates = etl_job.dedupe_rows(rows)
                self.assertEqual(unique, case["rows"])
                self.assertEqual(duplicates, case["duplicates"])
                # Order-independent: the same result from the lines reversed.
                self.assertEqual(etl_job.dedupe_rows(list(reversed(rows)))[0], case["rows"])

    def test_quarantine_keys(self):
        for raw_key, expected in GOLDEN["quarantineKeys"]:
            with self.subTest(raw_key):
                self.assertEqual(etl_job.quarantine_key(raw_key), expected)

    def test_checkpoint_advances(self):
        for case in GOLDEN["checkpoints"]:
            with self.subTest(case["name"]):
                got = etl_job.advance_checkpoint(case["before"], case["processed"], case["lateArrivalHours"])
                self.assertEqual(got, case["after"])


class CheckpointTest(unittest.TestCase):
    def test_reads_version_1_as_a_checkpoint_without_watermark(self):
        body = json.dumps({"version": 1, "processed": ["raw/2026/11/25/00/a", 3]})
        self.assertEqual(
            etl_job.read_checkpoint(body),
            {"version": 2, "watermark": None, "processed": ["raw/2026/11/25/00/a"]},
        )


if __name__ == "__main__":
    unittest.main()
