"""Row logic of the Glue job, checked on the cases test/unit/etl covers for the TypeScript twin.

Run with plain `python3 glue/test_etl_rows.py` (stdlib only; no Spark needed).
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import etl_job  # noqa: E402

T0 = 1795564800000  # 2026-11-25T00:00:00Z
HOUR = 3_600_000


def raw_line(device_id="sim-001", ts=T0, seq=None, received_at=None, **values):
    message = {
        "deviceId": device_id,
        "ts": etl_job._legacy_timestamp(ts),
        "lat": 50.06,
        "lon": 19.94,
        "o3": 40,
        "pm25": 12.5,
        "receivedAt": ts + 1000 if received_at is None else received_at,
        "topic": f"smogcast/{device_id}/telemetry",
    }
    if seq is not None:
        message["seq"] = seq
    message.update(values)
    return json.dumps(message)


class ParseRawLineTest(unittest.TestCase):
    def test_good_line_becomes_a_curated_row(self):
        row, reason = etl_job.parse_raw_line(raw_line(seq=7, co=None), T0)
        self.assertIsNone(reason)
        self.assertEqual(row["deviceId"], "sim-001")
        self.assertEqual(row["ts"], T0)
        self.assertEqual(row["seq"], 7)
        self.assertEqual(row["o3"], 40.0)
        self.assertIsNone(row["co"])
        self.assertEqual(row["receivedAt"], T0 + 1000)

    def test_not_json_is_quarantined(self):
        self.assertEqual(etl_job.parse_raw_line("not json at all", T0), (None, "line is not valid JSON"))
        self.assertEqual(etl_job.parse_raw_line('{"o3": NaN}', T0), (None, "line is not valid JSON"))

    def test_reasons_match_telemetry_ts(self):
        cases = [
            (raw_line(pm25=-3), "pm25: must not be negative"),
            (raw_line(seq=-1), "seq: Too small: expected number to be >=0"),
            (raw_line(lat=91), "lat: Too big: expected number to be <=90"),
            (raw_line(pm25=200000), "pm25: must be at most 100000"),
            (raw_line(o3="1"), "o3: Invalid input: expected number, received string"),
            (raw_line(ts=T0 + 48 * HOUR, received_at=T0), "ts: 2026-11-27T00:00:00.000Z is too far in the future"),
            (
                json.dumps({"deviceId": "x", "ts": "2026-11-25T00:00:00Z", "topic": "smogcast/d1/telemetry"}),
                "deviceId x does not match topic device d1",
            ),
            (
                json.dumps({"deviceId": "a b", "ts": "x", "topic": "other/a/b"}),
                "topic: other/a/b is not a telemetry topic",
            ),
            (
                json.dumps({"deviceId": "a b", "ts": "x"}),
                "deviceId: must be 1-128 of [A-Za-z0-9_.:-]; ts: must be an ISO-8601 UTC timestamp",
            ),
            (json.dumps({"deviceId": "a", "ts": "2026-13-45T00:00Z"}), "ts: not a valid date"),
            ("[1, 2]", "message is not a JSON object"),
        ]
        for line, reason in cases:
            with self.subTest(reason=reason):
                self.assertEqual(etl_job.parse_raw_line(line, T0), (None, reason))

    def test_legacy_payload_takes_the_device_from_the_topic(self):
        line = json.dumps(
            {"ozone": 3, "timestamp": T0 // 1000, "topic": "smogcast/d1/telemetry", "receivedAt": T0}
        )
        row, reason = etl_job.parse_raw_line(line, T0)
        self.assertIsNone(reason)
        self.assertEqual((row["deviceId"], row["ts"], row["o3"]), ("d1", T0, 3.0))


class DedupeTest(unittest.TestCase):
    def row(self, ts, seq=None, received_at=None):
        line = raw_line(ts=ts, seq=seq, received_at=received_at)
        return etl_job.parse_raw_line(line, T0)[0]

    def test_dedupes_on_seq_then_ts_keeping_the_earliest_received(self):
        rows = [
            self.row(T0 + 60_000, seq=2, received_at=T0 + 99_000),
            self.row(T0, seq=1),
            self.row(T0 + 60_000, seq=2),
            self.row(T0 + 120_000),
            self.row(T0 + 120_000),
        ]
        unique, duplicates = etl_job.dedupe_rows(rows)
        self.assertEqual(duplicates, 2)
        self.assertEqual([(r["seq"], r["ts"] - T0) for r in unique], [(1, 0), (2, 60_000), (None, 120_000)])
        self.assertEqual(unique[1]["receivedAt"], T0 + 61_000)

    def test_dedupe_is_idempotent(self):
        rows = [self.row(T0, seq=1), self.row(T0 + 1, seq=2)]
        once, _ = etl_job.dedupe_rows(rows)
        twice, duplicates = etl_job.dedupe_rows(once + rows)
        self.assertEqual(twice, once)
        self.assertEqual(duplicates, 2)

    def test_late_reading_goes_to_its_own_date(self):
        late = T0 - 2 * 24 * HOUR + 30 * 60_000
        self.assertEqual(etl_job.partition_date(late), "2026-11-23")
        self.assertEqual(etl_job.quarantine_key("2026-11-27", "run-1"), "quarantine/dt=2026-11-27/run-1.ndjson")


if __name__ == "__main__":
    unittest.main()
