"""smogcast Glue job: raw/ NDJSON -> curated/ Parquet (snappy, dt=YYYY-MM-DD), bad lines -> quarantine/.

The AWS twin of functions/etl/etl.ts, with the same semantics and the same lake objects:
- incremental through curated/_checkpoint.json (raw keys already processed), written last so
  that a crash re-processes rather than loses; the merge makes re-processing harmless;
- one row per reading, unique on (deviceId, seq), falling back to (deviceId, ts); of duplicates
  the earliest received wins; rows partitioned by the reading's UTC date;
- every rejected line goes to quarantine/dt=<run date>/<run_id>.ndjson as
  {"reason", "sourceKey", "line"}, with the reason texts of functions/common/telemetry.ts.

The row logic is plain Python (no Spark) so glue/test_etl_rows.py runs anywhere; pyspark,
awsglue and boto3 are imported inside main() only.

Job bookmarks: the job calls Job.init/commit, so enabling bookmarks is harmless, but the
incremental state is the shared checkpoint object, so the local ETL and this job can take turns
on the same lake.

Arguments: --JOB_NAME, --lake_bucket, --run_id.
"""

import json
import math
import re
from datetime import datetime, timezone

METRICS = ("o3", "pm25", "pm10", "co", "so2", "no2")
TOPIC_PREFIX = "smogcast"
MAX_CONCENTRATION = 100_000
MAX_CLOCK_SKEW_MS = 24 * 3600 * 1000
CHECKPOINT_KEY = "curated/_checkpoint.json"
RAW_PREFIX = "raw/"

DEVICE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
ISO_UTC = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(?:Z|[+-]00:?00)"
)

LEGACY_FIELDS = {
    "ozone": "o3",
    "particullate_matter": "pm25",
    "carbon_monoxide": "co",
    "sulfure_dioxide": "so2",
    "nitrogen_dioxide": "no2",
    "latitude": "lat",
    "longitude": "lon",
}


class InvalidJson(ValueError):
    pass


def _reject_constant(name):
    # JSON.parse rejects NaN/Infinity; Python's json would accept them.
    raise InvalidJson(name)


def device_id_from_topic(topic):
    parts = topic.split("/")
    if len(parts) == 3 and parts[0] == TOPIC_PREFIX and parts[2] == "telemetry":
        return parts[1]
    return None


def _type_name(value):
    """The type name zod reports in "expected X, received Y"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


_MISSING = object()


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _expected(kind, value):
    received = "undefined" if value is _MISSING else _type_name(value)
    return f"Invalid input: expected {kind}, received {received}"


def _check_string(value, pattern, message):
    if not isinstance(value, str):
        return [_expected("string", value)]
    return [] if pattern.fullmatch(value) else [message]


def _check_range(value, low, high):
    if value is _MISSING or value is None:
        return []
    if not _is_number(value):
        return [_expected("number", value)]
    issues = []
    if value < low:
        issues.append(f"Too small: expected number to be >={low}")
    if value > high:
        issues.append(f"Too big: expected number to be <={high}")
    return issues


def _check_concentration(value):
    if value is _MISSING or value is None:
        return []
    if not _is_number(value):
        return [_expected("number", value)]
    issues = []
    if not math.isfinite(value):
        issues.append("must be a finite number")
    if value < 0:
        issues.append("must not be negative")
    if value > MAX_CONCENTRATION:
        issues.append(f"must be at most {MAX_CONCENTRATION}")
    return issues


def _check_seq(value):
    if value is _MISSING:
        return []
    if not _is_number(value):
        return [_expected("number", value)]
    if isinstance(value, float) and not value.is_integer():
        return ["Invalid input: expected int, received number"]
    return [] if value >= 0 else ["Too small: expected number to be >=0"]


def _legacy_timestamp(value):
    if isinstance(value, str):
        return _legacy_timestamp(int(value)) if re.fullmatch(r"[0-9]+", value) else value
    if not _is_number(value) or not math.isfinite(value):
        return _MISSING
    ms = value * 1000 if value < 1e11 else value
    try:
        moment = datetime.fromtimestamp(math.floor(ms) / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return _MISSING
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def is_legacy_payload(message):
    return "deviceId" not in message and ("ozone" in message or "particullate_matter" in message)


def _from_legacy(message, topic_device_id):
    mapped = {
        "deviceId": _MISSING if topic_device_id is None else topic_device_id,
        "ts": _legacy_timestamp(message.get("timestamp", _MISSING)),
    }
    for legacy, field in LEGACY_FIELDS.items():
        if legacy in message:
            mapped[field] = message[legacy]
    return mapped


def _parse_iso(ts):
    """Epoch ms of an ISO_UTC string, or None when it is not a real date (Date.parse -> NaN)."""
    match = ISO_UTC.fullmatch(ts)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    millis = int((fraction or "0").ljust(3, "0")[:3])
    return int(moment.timestamp()) * 1000 + millis


def parse_telemetry(message, topic_device_id, now_ms):
    """Mirror of parseTelemetry (telemetry.ts): (reading, None) or (None, reason)."""
    if not isinstance(message, dict):
        return None, "message is not a JSON object"
    record = _from_legacy(message, topic_device_id) if is_legacy_payload(message) else message
    get = lambda name: record.get(name, _MISSING)  # noqa: E731
    checks = [
        ("deviceId", _check_string(get("deviceId"), DEVICE_ID, "must be 1-128 of [A-Za-z0-9_.:-]")),
        ("ts", _check_string(get("ts"), ISO_UTC, "must be an ISO-8601 UTC timestamp")),
        ("seq", _check_seq(get("seq"))),
        ("lat", _check_range(get("lat"), -90, 90)),
        ("lon", _check_range(get("lon"), -180, 180)),
    ] + [(metric, _check_concentration(get(metric))) for metric in METRICS]
    issues = [f"{field}: {text}" for field, texts in checks for text in texts]
    if issues:
        return None, "; ".join(issues)
    device_id = record["deviceId"]
    if topic_device_id is not None and device_id != topic_device_id:
        return None, f"deviceId {device_id} does not match topic device {topic_device_id}"
    ts = _parse_iso(record["ts"])
    if ts is None:
        return None, "ts: not a valid date"
    if ts > now_ms + MAX_CLOCK_SKEW_MS:
        return None, f"ts: {record['ts']} is too far in the future"

    def value(name):
        v = record.get(name)
        return None if v is None else float(v)

    seq = record.get("seq")
    reading = {
        "deviceId": device_id,
        "ts": ts,
        "seq": None if seq is None else int(seq),
        "lat": value("lat"),
        "lon": value("lon"),
    }
    for metric in METRICS:
        reading[metric] = value(metric)
    return reading, None


def parse_raw_line(line, fallback_now_ms):
    """Mirror of parseRawLine (functions/etl/rows.ts): (row, None) or (None, reason)."""
    try:
        message = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None, "line is not valid JSON"
    if not isinstance(message, dict):
        return None, "message is not a JSON object"
    received_at = message.get("receivedAt", _MISSING)
    if received_at is not _MISSING and not (_is_number(received_at) and math.isfinite(received_at)):
        return None, "receivedAt: must be epoch milliseconds"
    topic_device_id = None
    if "topic" in message:
        topic = message["topic"]
        topic_device_id = device_id_from_topic(topic) if isinstance(topic, str) else None
        if topic_device_id is None:
            shown = "null" if topic is None else str(topic)
            return None, f"topic: {shown} is not a telemetry topic"
    arrived_at = fallback_now_ms if received_at is _MISSING else int(received_at)
    reading, reason = parse_telemetry(message, topic_device_id, arrived_at)
    if reading is None:
        return None, reason
    reading["receivedAt"] = arrived_at
    return reading, None


def partition_date(epoch_ms):
    return datetime.fromtimestamp(epoch_ms // 1000, tz=timezone.utc).strftime("%Y-%m-%d")


def row_key(row):
    """(deviceId, seq) when the device counts, else (deviceId, ts)."""
    if row["seq"] is None:
        return (row["deviceId"], "t", row["ts"])
    return (row["deviceId"], "s", row["seq"])


def prefer(a, b):
    """Of two duplicates, the earliest received; order-independent (ties keep the first)."""
    return b if b["receivedAt"] < a["receivedAt"] else a


def _sort_key(row):
    return (row["deviceId"], row["ts"], -1 if row["seq"] is None else row["seq"], row["receivedAt"])


def dedupe_rows(rows):
    """Unique rows sorted by (deviceId, ts) and how many duplicates were dropped."""
    kept = {}
    for row in rows:
        key = row_key(row)
        kept[key] = prefer(kept[key], row) if key in kept else row
    return sorted(kept.values(), key=_sort_key), len(rows) - len(kept)


def quarantine_key(run_date, run_id):
    return f"quarantine/dt={run_date}/{run_id}.ndjson"


# --------------------------------------------------------------------------- Spark wiring


def _list_keys(s3, bucket, prefix):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return sorted(keys)


def _read_checkpoint(s3, bucket):
    try:
        body = s3.get_object(Bucket=bucket, Key=CHECKPOINT_KEY)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return []
    return [k for k in json.loads(body)["processed"] if isinstance(k, str)]


def main():
    import sys
    import time

    import boto3
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    args = getResolvedOptions(sys.argv, ["JOB_NAME", "lake_bucket", "run_id"])
    bucket, run_id = args["lake_bucket"], args["run_id"]
    glue = GlueContext(SparkContext.getOrCreate())
    spark = glue.spark_session
    # Overwrite only the partitions this run touches; INT64 millis, not Spark's default INT96.
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MILLIS")
    spark.conf.set("spark.sql.parquet.compression.codec", "snappy")
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    job = Job(glue)
    job.init(args["JOB_NAME"], args)

    s3 = boto3.client("s3")
    now_ms = int(time.time() * 1000)
    processed = _read_checkpoint(s3, bucket)
    done = set(processed)
    pending = [
        k for k in _list_keys(s3, bucket, RAW_PREFIX) if not k.endswith("/") and k not in done
    ]
    if not pending:
        job.commit()
        return

    prefix = f"s3://{bucket}/"
    lines = (
        spark.read.text([prefix + k for k in pending])
        .withColumn("source", F.input_file_name())
        .rdd.filter(lambda r: r.value is not None and r.value.strip() != "")
    )
    parsed = lines.map(
        lambda r: (r.source.replace(prefix, "", 1), r.value, parse_raw_line(r.value, now_ms))
    ).cache()
    bad = parsed.filter(lambda t: t[2][0] is None).map(
        lambda t: json.dumps(
            {"reason": t[2][1], "sourceKey": t[0], "line": t[1]},
            separators=(",", ":"),
            ensure_ascii=False,
        )
    )
    good = parsed.filter(lambda t: t[2][0] is not None).map(lambda t: t[2][0])

    columns = [
        T.StructField("deviceId", T.StringType(), False),
        T.StructField("ts", T.LongType(), False),
        T.StructField("seq", T.LongType(), True),
        T.StructField("lat", T.DoubleType(), True),
        T.StructField("lon", T.DoubleType(), True),
    ]
    columns += [T.StructField(m, T.DoubleType(), True) for m in METRICS]
    columns += [T.StructField("receivedAt", T.LongType(), False)]
    schema = T.StructType(columns)
    names = [f.name for f in columns]

    new_rows = good.map(lambda row: tuple(row[n] for n in names))
    dts = sorted(good.map(lambda row: partition_date(row["ts"])).distinct().collect())
    curated = f"{prefix}curated/"
    existing_paths = []
    for dt in dts:
        if _list_keys(s3, bucket, f"curated/dt={dt}/"):
            existing_paths.append(f"{curated}dt={dt}/")
    frame = spark.createDataFrame(new_rows, schema)
    if existing_paths:
        old = (
            spark.read.parquet(*existing_paths)
            .withColumn("ts", F.expr("unix_millis(ts)"))
            .select(*names)
        )
        frame = old.unionByName(frame)
    # Dedupe per partition, as the local ETL does, with the plain functions the tests check.
    deduped = (
        frame.rdd.map(lambda r: r.asDict())
        .map(lambda row: ((partition_date(row["ts"]),) + row_key(row), row))
        .reduceByKey(prefer)
        .map(lambda kv: tuple(kv[1][n] for n in names) + (partition_date(kv[1]["ts"]),))
    )
    out = spark.createDataFrame(deduped, T.StructType(columns + [T.StructField("dt", T.StringType())]))
    out = out.withColumn("ts", F.timestamp_millis("ts"))
    # Materialise before overwriting the partitions it was read from.
    out = out.localCheckpoint(eager=True)
    (
        out.repartition("dt")
        .sortWithinPartitions("deviceId", "ts")
        .write.mode("overwrite")
        .partitionBy("dt")
        .parquet(curated)
    )

    # Quarantined lines are expected to be few; one object per run, as the local ETL writes.
    bad_lines = bad.collect()
    if bad_lines:
        s3.put_object(
            Bucket=bucket,
            Key=quarantine_key(partition_date(now_ms), run_id),
            Body=("\n".join(bad_lines) + "\n").encode("utf-8"),
            ContentType="application/x-ndjson",
        )
    # Last: the checkpoint vouches for data already written.
    checkpoint = {"version": 1, "processed": sorted(processed + pending)}
    s3.put_object(Bucket=bucket, Key=CHECKPOINT_KEY, Body=json.dumps(checkpoint).encode("utf-8"))
    job.commit()


if __name__ == "__main__":
    main()
