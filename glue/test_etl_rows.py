"""Row logic of the Glue job, checked against the golden vectors the TypeScript engine passes too
(test/fixtures/lake/golden.json), plus the checkpoint and quarantine naming it shares with it.

Run with plain `python3 glue/test_etl_rows.py` (stdlib only; no Spark needed).
"""

import base64
import gzip
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

    def test_each_batch_explodes_into_the_expected_rows_and_reasons(self):
        for case in GOLDEN["batches"]:
            with self.subTest(case["name"]):
                got = etl_job.parse_raw_message(case["line"], GOLDEN["now"])
                expected = [
                    (None, r["reason"]) if "reason" in r else (r["row"], None) for r in case["results"]
                ]
                self.assertEqual(got, expected)
                for (row, _), r in zip(got, case["results"]):
                    if row is not None:
                        self.assertEqual(etl_job.partition_date(row["ts"]), r["dt"])

    def test_a_single_reading_line_is_one_result(self):
        for case in GOLDEN["lines"]:
            with self.subTest(case["name"]):
                self.assertEqual(
                    etl_job.parse_raw_message(case["line"], GOLDEN["now"]),
                    [etl_job.parse_raw_line(case["line"], GOLDEN["now"])],
                )

    def test_dedupe_keeps_the_expected_rows_in_order(self):
        for case in GOLDEN["dedupe"]:
            with self.subTest(case["name"]):
                rows = [etl_job.parse_raw_line(line, GOLDEN["now"])[0] for line in case["lines"]]
                unique, duplicates = etl_job.dedupe_rows(rows)
                self.assertEqual(unique, case["rows"])
                self.assertEqual(duplicates, case["duplicates"])
                # Order-independent: the same result from the lines reversed.
                self.assertEqual(etl_job.dedupe_rows(list(reversed(rows)))[0], case["rows"])

    def test_objects_split_decode_and_quarantine_like_the_twin(self):
        for case in GOLDEN["objects"]:
            with self.subTest(case["name"]):
                body = base64.b64decode(case["base64"])
                pairs = etl_job.keyed_lines("raw/k", body)
                parsed = [
                    (line, result)
                    for _, line in pairs
                    for result in etl_job.parse_raw_message(line, GOLDEN["now"])
                ]
                bad = [
                    json.loads(etl_job.quarantine_record("raw/k", line, reason))
                    for line, (row, reason) in parsed
                    if row is None
                ]
                self.assertEqual(len(pairs), case["lines"])
                self.assertEqual(sum(1 for _, (row, _r) in parsed if row is not None), case["rows"])
                expected = [dict(b, sourceKey="raw/k") for b in case["bad"]]
                self.assertEqual(
                    sorted(bad, key=json.dumps), sorted(expected, key=json.dumps)
                )

    def test_gzip_objects_split_like_plain_ones(self):
        # Firehose GZIP deliveries (raw/….gz) and plain objects of older lakes give the same lines.
        for case in GOLDEN["objects"]:
            with self.subTest(case["name"]):
                body = base64.b64decode(case["base64"])
                plain = etl_job.keyed_lines("raw/k", body)
                self.assertEqual(etl_job.keyed_lines("raw/k", gzip.compress(body)), plain)
                # Two gzip members (a concatenated delivery) read as their concatenation.
                half = len(body) // 2
                members = gzip.compress(body[:half]) + gzip.compress(body[half:])
                self.assertEqual(etl_job.raw_object_bytes(members), body)

    def test_depth_scan_ignores_brackets_in_strings_and_escapes(self):
        self.assertFalse(etl_job.nests_deeper_than('{"a":"[[[[\\"[[["}', 2))
        self.assertTrue(etl_job.nests_deeper_than('[[[', 2))
        self.assertFalse(etl_job.nests_deeper_than('[[]][[]]', 2))

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


class ArgumentsTest(unittest.TestCase):
    def test_run_id_is_not_a_required_argument(self):
        self.assertNotIn("run_id", etl_job.REQUIRED_ARGUMENTS)
        self.assertEqual(set(etl_job.REQUIRED_ARGUMENTS), {"JOB_NAME", "lake_bucket"})

    def test_run_id_given_by_the_state_machine_is_kept(self):
        argv = ["etl_job.py", "--JOB_NAME", "j", "--run_id", "exec-1", "--JOB_RUN_ID", "jr_9"]
        self.assertEqual(etl_job.run_id_of(argv, 0), "exec-1")
        self.assertEqual(etl_job.run_id_of(["x", "--run_id=exec-2"], 0), "exec-2")

    def test_a_manual_run_gets_a_generated_run_id(self):
        argv = ["etl_job.py", "--JOB_NAME", "j", "--lake_bucket", "b", "--JOB_RUN_ID", "jr_abc"]
        self.assertEqual(etl_job.run_id_of(argv, 0), "manual-jr_abc")
        # 2026-11-25T06:07:08Z
        self.assertEqual(etl_job.run_id_of(["etl_job.py"], 1795586828000), "manual-20261125060708")


class SourceKeysTest(unittest.TestCase):
    """The source of each line is the key it was listed under, never a path Spark reports."""

    KEY = "raw/2026/11/25/06/smogcast-raw-1-2026-11-25-06-00-00-abc"

    def test_each_line_carries_the_listed_key(self):
        body = b'{"a":1}\r\n\n   \nnot json\n{"b":2}'
        self.assertEqual(
            etl_job.keyed_lines(self.KEY, body),
            [(self.KEY, '{"a":1}'), (self.KEY, "not json"), (self.KEY, '{"b":2}')],
        )

    def test_a_json_line_separator_inside_a_string_does_not_split_the_line(self):
        line = '{"deviceId":"d\u2028x"}'
        self.assertEqual(etl_job.keyed_lines(self.KEY, line.encode("utf-8")), [(self.KEY, line)])

    def test_quarantine_and_checkpoint_keys_come_from_the_listed_keys(self):
        checkpoint = {"version": 2, "watermark": None, "processed": []}
        listed = ["raw/", self.KEY, "raw/2026/11/25/05/earlier"]
        sources = etl_job.pending_raw_keys(checkpoint, listed)
        self.assertEqual(sources, ["raw/2026/11/25/05/earlier", self.KEY])
        pairs = [p for key in sources for p in etl_job.keyed_lines(key, b"garbage\n")]
        bad = {key for key, line in pairs if etl_job.parse_raw_line(line, GOLDEN["now"])[0] is None}
        self.assertEqual(
            sorted(etl_job.quarantine_key(k) for k in bad),
            [
                "quarantine/dt=2026-11-25/earlier.ndjson",
                "quarantine/dt=2026-11-25/smogcast-raw-1-2026-11-25-06-00-00-abc.ndjson",
            ],
        )
        after = etl_job.advance_checkpoint(checkpoint, sources, etl_job.LATE_ARRIVAL_HOURS)
        self.assertEqual(after["processed"], sources)
        self.assertNotIn("", after["processed"])

    def test_pending_keys_skip_what_the_checkpoint_covers(self):
        checkpoint = {
            "version": 2,
            "watermark": "raw/2026/11/24/00/",
            "processed": ["raw/2026/11/24/03/done"],
        }
        listed = [
            "raw/2026/11/23/23/old",
            "raw/2026/11/24/03/done",
            "raw/2026/11/24/03/new",
            "raw/2026/11/24/03/new",
            "raw/2026/11/25/00/",
        ]
        self.assertEqual(etl_job.pending_raw_keys(checkpoint, listed), ["raw/2026/11/24/03/new"])

    def test_listing_is_bounded_by_the_watermark(self):
        self.assertEqual(etl_job.listing_prefixes({"watermark": None}, 0), ["raw/"])
        # now = 2026-11-25T06:07:08Z: the watermark's day to tomorrow.
        self.assertEqual(
            etl_job.listing_prefixes({"watermark": "raw/2026/11/24/05/"}, 1795586828000),
            ["raw/2026/11/24/", "raw/2026/11/25/", "raw/2026/11/26/"],
        )

    def test_the_job_does_not_read_sources_through_input_file_name(self):
        with open(os.path.join(HERE, "etl_job.py"), encoding="utf-8") as f:
            code = f.read().split("def main():", 1)[1]
        self.assertNotIn("input_file_name(", code)
        self.assertNotIn('"run_id"]', code)


if __name__ == "__main__":
    unittest.main()
