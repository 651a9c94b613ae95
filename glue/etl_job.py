"""smogcast Glue job: raw/ NDJSON -> curated/ Parquet (snappy, dt=YYYY-MM-DD), bad lines -> quarantine/.

The AWS twin of glue/twin/etl.ts, with the same semantics and the same lake objects; the
row logic below is pinned, for both engines, by test/fixtures/lake/golden.json:
- incremental through curated/_checkpoint.json, exactly as the local engine: the raw keys are
  listed with boto3, the pending ones picked as pendingRawKeys (checkpoint.ts) picks them, and
  each line is read together with the key it was listed under. The source key never comes from
  a path Spark derives (input_file_name() after a DynamicFrame conversion can be ""), so the
  quarantine keys and the checkpoint always name the real raw objects. A crash before the
  checkpoint is written re-reads the same objects next time, and the merge makes that harmless;
- one row per reading, unique on (deviceId, seq), falling back to (deviceId, ts); of duplicates
  the earliest received wins; rows partitioned by the reading's UTC date;
- every rejected line goes to quarantine/dt=<raw object's date>/<raw object name>.ndjson as
  {"reason", "sourceKey", "line"}, so re-processing an object overwrites its quarantine object.

Taking turns with the local ETL on one lake: a partition is rewritten from every Parquet file it
holds (the local engine's part-0000.parquet too, and the local engine reads Spark's part files),
and both engines read and advance the one checkpoint, so neither re-reads what the other did.

The row logic is plain Python (no Spark) so glue/test_etl_rows.py runs anywhere; pyspark,
awsglue and boto3 are imported inside main() only.

Arguments: --JOB_NAME, --lake_bucket, and optionally --run_id (a manual run without it gets a
generated one, see run_id_of).
"""

import base64
import gzip
import json
import math
import re

METRICS = ("o3", "pm25", "pm10", "co", "so2", "no2")
TOPIC_PREFIX = "smogcast"
MAX_CONCENTRATION = 100_000
MAX_CLOCK_SKEW_MS = 15 * 60 * 1000
# Readings stamped before 2000-01-01T00:00:00Z are rejected (core/telemetry.ts EARLIEST_READING_MS).
EARLIEST_READING_MS = 946_684_800_000
EARLIEST_READING_ISO = "2000-01-01T00:00:00Z"
# core/json-depth.ts: deeper lines are quarantined before json.loads (which recurses) sees them.
MAX_JSON_DEPTH = 32
CHECKPOINT_KEY = "curated/_checkpoint.json"
LATE_ARRIVAL_HOURS = 48
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


def nests_deeper_than(text, limit=MAX_JSON_DEPTH):
    """Mirror of nestsDeeperThan (core/json-depth.ts): one loop, no recursion, brackets in
    strings not counted, malformed text measured the same way."""
    if text.count("{") + text.count("[") <= limit:
        return False  # the common case, in C: cannot nest deeper than it opens
    depth = 0
    in_string = False
    escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "{" or c == "[":
            depth += 1
            if depth > limit:
                return True
        elif c == "}" or c == "]":
            depth -= 1
    return False


def too_deep_reason(what, limit=MAX_JSON_DEPTH):
    return f"{what} nests objects/arrays deeper than {limit} levels"


def check_reading_time(epoch_ms, arrived_at_ms):
    """Mirror of checkReadingTime (core/telemetry.ts): None, or the end of the reason."""
    if epoch_ms < EARLIEST_READING_MS:
        return f"is before {EARLIEST_READING_ISO}"
    if epoch_ms > arrived_at_ms + MAX_CLOCK_SKEW_MS:
        return "is too far in the future"
    return None


def device_id_from_topic(topic):
    parts = topic.split("/")
    if len(parts) == 3 and parts[0] == TOPIC_PREFIX and parts[2] == "telemetry":
        return parts[1]
    return None


MAX_SAFE_INTEGER = 2**53 - 1
MAX_EPOCH_MS = 8.64e15
DAY_MS = 86_400_000


def _type_name(value):
    """The type name a reason prints in "expected X, received Y" (as core/telemetry.ts names it)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "Infinity"
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


def _is_finite_number(value):
    return _is_number(value) and math.isfinite(value)


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
    if not _is_finite_number(value):
        return [_expected("number", value)]
    if value < low:
        return [f"Too small: expected number to be >={low}"]
    if value > high:
        return [f"Too big: expected number to be <={high}"]
    return []


def _check_concentration(value):
    if value is _MISSING or value is None:
        return []
    if not _is_finite_number(value):
        return [_expected("number", value)]
    if value < 0:
        return ["must not be negative"]
    if value > MAX_CONCENTRATION:
        return [f"must be at most {MAX_CONCENTRATION}"]
    return []


def _check_seq(value):
    if value is _MISSING:
        return []
    if not _is_finite_number(value):
        return [_expected("number", value)]
    if isinstance(value, float) and not value.is_integer():
        return ["Invalid input: expected int, received number"]
    issues = []
    if value > MAX_SAFE_INTEGER:
        issues.append(f"Too big: expected int to be <={MAX_SAFE_INTEGER}")
    if value < -MAX_SAFE_INTEGER:
        issues.append(f"Too small: expected int to be >={-MAX_SAFE_INTEGER}")
    if value < 0:
        issues.append("Too small: expected number to be >=0")
    return issues


# Calendar arithmetic on epoch days (proleptic Gregorian, any year), so that both engines agree
# where Python's datetime stops (years 0 and > 9999).
def _days_from_civil(year, month, day):
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(days):
    days += 719468
    era = (days if days >= 0 else days - 146096) // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def _iso_of_ms(ms):
    """Date.prototype.toISOString of an integral epoch ms (years outside 0..9999 get a sign)."""
    days, rest = divmod(ms, DAY_MS)
    year, month, day = _civil_from_days(days)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    year_text = f"{year:04d}" if 0 <= year <= 9999 else ("+" if year > 0 else "-") + f"{abs(year):06d}"
    return f"{year_text}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


def _legacy_timestamp(value):
    if isinstance(value, str):
        return _legacy_timestamp(float(value)) if re.fullmatch(r"[0-9]+", value) else value
    if not _is_finite_number(value):
        return _MISSING
    ms = value * 1000 if value < 1e11 else value
    if not math.isfinite(ms) or abs(ms) > MAX_EPOCH_MS:
        return _MISSING  # new Date(ms) is an Invalid Date
    return _iso_of_ms(int(ms))  # int() truncates toward zero, as the Date constructor does


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


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(year):
    return (year % 4 == 0 and year % 100 != 0) or year % 400 == 0


def parse_iso_utc(ts):
    """Epoch ms of an ISO_UTC string naming a real instant, else None (no 02-30, no 24:00)."""
    match = ISO_UTC.fullmatch(ts)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    year, month, day, hour, minute = int(year), int(month), int(day), int(hour), int(minute)
    second = int(second or 0)
    if not 1 <= month <= 12 or hour > 23 or minute > 59 or second > 59:
        return None
    days_in_month = 29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month - 1]
    if not 1 <= day <= days_in_month:
        return None
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    seconds = ((_days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second
    return seconds * 1000 + millis


def parse_telemetry(message, topic_device_id, now_ms):
    """Mirror of parseTelemetry (core/telemetry.ts): (reading, None) or (None, reason)."""
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
    ts = parse_iso_utc(record["ts"])
    if ts is None:
        return None, "ts: not a valid date"
    bounds = check_reading_time(ts, now_ms)
    if bounds is not None:
        return None, f"ts: {record['ts']} {bounds}"

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


MAX_READINGS_PER_MESSAGE = 500


def _envelope_of(line, fallback_now_ms):
    """The JSON object of a raw line, when it arrived and its topic's device, or a reason:
    ((message, arrived_at, topic_device_id), None) or (None, reason)."""
    if isinstance(line, (bytes, bytearray)):
        return None, INVALID_UTF8_REASON
    if nests_deeper_than(line):
        return None, too_deep_reason("line")
    try:
        message = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None, "line is not valid JSON"
    if not isinstance(message, dict):
        return None, "message is not a JSON object"
    received_at = message.get("receivedAt", _MISSING)
    if received_at is not _MISSING and not (
        _is_finite_number(received_at) and abs(received_at) <= MAX_EPOCH_MS
    ):
        return None, "receivedAt: must be epoch milliseconds"
    topic_device_id = None
    if "topic" in message:
        topic = message["topic"]
        if not isinstance(topic, str):
            return None, "topic: must be a string"
        topic_device_id = device_id_from_topic(topic)
        if topic_device_id is None:
            return None, f"topic: {topic} is not a telemetry topic"
    arrived_at = fallback_now_ms if received_at is _MISSING else int(received_at)
    return (message, arrived_at, topic_device_id), None


def _row_of_record(record, arrived_at, topic_device_id):
    reading, reason = parse_telemetry(record, topic_device_id, arrived_at)
    if reading is None:
        return None, reason
    reading["receivedAt"] = arrived_at
    return reading, None


def parse_raw_line(line, fallback_now_ms):
    """Mirror of parseRawLine (core/curated/rows.ts): (row, None) or (None, reason).
    A line given as bytes is one keyed_lines could not decode as UTF-8."""
    envelope, reason = _envelope_of(line, fallback_now_ms)
    if envelope is None:
        return None, reason
    return _row_of_record(*envelope)


def batch_records(message):
    """Mirror of batchRecords (core/telemetry.ts): (records, None) or (None, reason); a reading
    that is not an object is its reason text."""
    readings = message.get("readings", _MISSING)
    if not isinstance(readings, list):
        return None, f"readings: {_expected('array', readings)}"
    if len(readings) == 0 or len(readings) > MAX_READINGS_PER_MESSAGE:
        return None, f"readings: must hold 1-{MAX_READINGS_PER_MESSAGE} readings"
    records = []
    for reading in readings:
        if not isinstance(reading, dict):
            records.append("message is not a JSON object")
        elif "deviceId" in reading or "deviceId" not in message:
            records.append(reading)
        else:
            records.append(dict(reading, deviceId=message["deviceId"]))
    return records, None


def parse_raw_message(line, fallback_now_ms):
    """Mirror of parseRawMessage (core/curated/rows.ts): a list of (row, None) or (None, reason),
    one per reading of a batch line (each validated on its own), one for any other line."""
    envelope, reason = _envelope_of(line, fallback_now_ms)
    if envelope is None:
        return [(None, reason)]
    message, arrived_at, topic_device_id = envelope
    if "readings" not in message:
        return [_row_of_record(message, arrived_at, topic_device_id)]
    records, reason = batch_records(message)
    if records is None:
        return [(None, reason)]
    results = []
    for i, record in enumerate(records):
        if isinstance(record, str):
            results.append((None, f"readings[{i}]: {record}"))
            continue
        row, reason = _row_of_record(record, arrived_at, topic_device_id)
        results.append((row, None) if row is not None else (None, f"readings[{i}]: {reason}"))
    return results


def partition_date(epoch_ms):
    return _iso_of_ms(int(epoch_ms))[:10]


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


_RAW_KEY = re.compile(r"raw/([0-9]{4})/([0-9]{2})/([0-9]{2})/[0-9]{2}/([^/]+?)(?:\.gz)?")
_FOLDER = re.compile(r"raw/([0-9]{4})/([0-9]{2})/([0-9]{2})/([0-9]{2})/")
HOUR_MS = 3_600_000


def quarantine_key(raw_key):
    """Mirror of quarantineKey (schema.ts): named after the raw object, so re-runs overwrite; a
    gzip delivery's .gz is dropped (the quarantine object is plain NDJSON)."""
    match = _RAW_KEY.fullmatch(raw_key)
    if match:
        year, month, day, name = match.groups()
        return f"quarantine/dt={year}-{month}-{day}/{name}.ndjson"
    rest = raw_key[4:] if raw_key.startswith("raw/") else raw_key
    return f"quarantine/other/{rest.replace('/', '_')}.ndjson"


def _folder_time(key):
    match = _FOLDER.match(key)
    if not match:
        return None
    year, month, day, hour = (int(g) for g in match.groups())
    return (_days_from_civil(year, month, day) * 24 + hour) * HOUR_MS


def _folder_of(epoch_ms):
    iso = _iso_of_ms(epoch_ms)
    return f"raw/{iso[0:4]}/{iso[5:7]}/{iso[8:10]}/{iso[11:13]}/"


def advance_checkpoint(checkpoint, newly_processed, late_arrival_hours):
    """Mirror of advanceCheckpoint (checkpoint.ts): the bounded curated/_checkpoint.json."""
    keys = set(checkpoint.get("processed", [])) | set(newly_processed)
    times = [t for t in (_folder_time(k) for k in keys) if t is not None]
    watermark = checkpoint.get("watermark")
    if times:
        candidate = _folder_of(max(times) - late_arrival_hours * HOUR_MS)
        if watermark is None or candidate > watermark:
            watermark = candidate
    processed = sorted(k for k in keys if watermark is None or k >= watermark)
    return {"version": 2, "watermark": watermark, "processed": processed}


def read_checkpoint(body):
    """The checkpoint object's JSON text (version 1 or 2) as a version 2 checkpoint."""
    parsed = json.loads(body)
    processed = parsed["processed"]
    if not isinstance(processed, list):
        raise ValueError("processed is not an array")
    watermark = parsed.get("watermark")
    if not (isinstance(watermark, str) and _FOLDER.match(watermark)):
        watermark = None
    return {
        "version": 2,
        "watermark": watermark,
        "processed": [k for k in processed if isinstance(k, str)],
    }


# --------------------------------------------------------------------------- which raw objects

# The arguments getResolvedOptions must find; --run_id is optional (see run_id_of).
REQUIRED_ARGUMENTS = ("JOB_NAME", "lake_bucket")


def _argument(argv, name):
    """The value of `--name value` or `--name=value` in argv, or None."""
    flag = f"--{name}"
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg[len(flag) + 1 :]
    return None


def run_id_of(argv, now_ms):
    """--run_id when given (the retrain state machine passes its execution name); otherwise, for
    a manual run, one made from the job run id Glue passes (--JOB_RUN_ID), else from the time."""
    given = _argument(argv, "run_id")
    if given:
        return given
    job_run_id = _argument(argv, "JOB_RUN_ID")
    if job_run_id:
        return f"manual-{job_run_id}"
    iso = _iso_of_ms(now_ms)
    return "manual-" + re.sub(r"[^0-9]", "", iso[0:19])


def is_raw_object(key):
    """Raw objects are Firehose deliveries; anything else under raw/ (folders, markers) is not."""
    return key.startswith(RAW_PREFIX) and not key.endswith("/")


def is_processed(checkpoint, done, key):
    """Mirror of isProcessed (checkpoint.ts)."""
    watermark = checkpoint.get("watermark")
    return (watermark is not None and key < watermark) or key in done


def listing_prefixes(checkpoint, now_ms):
    """The prefixes to list, as pendingRawKeys (checkpoint.ts) lists them: all of raw/ without a
    watermark, else the day folders from the watermark's day to tomorrow."""
    watermark = checkpoint.get("watermark")
    start = None if watermark is None else _folder_time(watermark)
    if start is None:
        return [RAW_PREFIX]
    last_day = max(now_ms, start) + 24 * HOUR_MS
    prefixes = []
    day = start
    while day <= last_day:
        prefixes.append(_folder_of(day)[:-3])
        day += 24 * HOUR_MS
    return prefixes


def pending_raw_keys(checkpoint, listed_keys):
    """Mirror of pendingRawKeys (checkpoint.ts) over a listing: the raw objects not processed yet,
    in key (about delivery) order."""
    done = set(checkpoint.get("processed", []))
    return sorted(
        {k for k in listed_keys if is_raw_object(k) and not is_processed(checkpoint, done, k)}
    )


INVALID_UTF8_REASON = "line is not valid UTF-8"


def raw_object_bytes(body):
    """A raw object's NDJSON bytes: gunzipped when it is gzip (Firehose CompressionFormat GZIP,
    keys ending in .gz), as is when plain (older lakes). Detected by the magic bytes 1f 8b, as
    core/raw-object.ts does; the objects are read with boto3, so Spark's by-extension codec
    never sees them."""
    data = bytes(body)
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def keyed_lines(key, body):
    """The non-blank lines of the raw object `key` (gzip or plain), each paired with that key: the
    source key of a line is the key the object was listed and read under, never a path Spark
    reports. A line that is not valid UTF-8 stays bytes (parse_raw_line quarantines it,
    quarantine_record keeps them)."""
    data = body.encode("utf-8") if isinstance(body, str) else raw_object_bytes(body)
    pairs = []
    for raw in data.split(b"\n"):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            pairs.append((key, raw))
            continue
        if line.strip() != "":
            pairs.append((key, line))
    return pairs


def quarantine_record(source_key, line, reason):
    """One quarantine line: the reason, the source key and the line; for a line that is not
    UTF-8, the line with U+FFFD for display and its original bytes in base64."""
    record = {"reason": reason, "sourceKey": source_key}
    if isinstance(line, (bytes, bytearray)):
        record["line"] = bytes(line).decode("utf-8", errors="replace")
        record["bytes"] = base64.b64encode(bytes(line)).decode("ascii")
    else:
        record["line"] = line
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


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
        return {"version": 2, "watermark": None, "processed": []}
    return read_checkpoint(body)


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

    now_ms = int(time.time() * 1000)
    args = getResolvedOptions(sys.argv, list(REQUIRED_ARGUMENTS))
    run_id = run_id_of(sys.argv, now_ms)
    bucket = args["lake_bucket"]
    sc = SparkContext.getOrCreate()
    glue = GlueContext(sc)
    spark = glue.spark_session
    # Overwrite only the partitions this run touches; INT64 millis, not Spark's default INT96.
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MILLIS")
    spark.conf.set("spark.sql.parquet.compression.codec", "snappy")
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    job = Job(glue)
    job.init(args["JOB_NAME"], args)

    s3 = boto3.client("s3")
    prefix = f"s3://{bucket}/"
    # The pending raw objects, by key, from a listing: the keys carry the sources, not Spark.
    checkpoint = _read_checkpoint(s3, bucket)
    listed = [k for p in listing_prefixes(checkpoint, now_ms) for k in _list_keys(s3, bucket, p)]
    sources = pending_raw_keys(checkpoint, listed)
    print(f"run {run_id}: {len(sources)} pending raw object(s)")
    if not sources:
        job.commit()
        return

    def read_object(key):
        import boto3 as executor_boto3

        body = executor_boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return keyed_lines(key, body)

    lines = sc.parallelize(sources, max(1, min(len(sources), 200))).flatMap(read_object)
    # A batch line explodes into one result per reading, each curated or quarantined on its own.
    parsed = lines.flatMap(
        lambda kv: [(kv[0], kv[1], result) for result in parse_raw_message(kv[1], now_ms)]
    ).cache()
    bad = parsed.filter(lambda t: t[2][0] is None).map(
        lambda t: (t[0], quarantine_record(t[0], t[1], t[2][1]))
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
    # Every file of a touched partition, whichever engine wrote it (the local ETL's
    # part-0000.parquet included): the overwrite below replaces them all.
    existing_paths = [f"{curated}dt={dt}/" for dt in dts if _list_keys(s3, bucket, f"curated/dt={dt}/")]
    frame = spark.createDataFrame(new_rows, schema)
    if existing_paths:
        old = (
            spark.read.option("mergeSchema", "false")
            .parquet(*existing_paths)
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

    # One quarantine object per raw object, named after it: a re-run overwrites, never adds.
    for source_key, bad_lines in bad.groupByKey().mapValues(list).collect():
        s3.put_object(
            Bucket=bucket,
            Key=quarantine_key(source_key),
            Body=("\n".join(bad_lines) + "\n").encode("utf-8"),
            ContentType="application/x-ndjson",
        )
    # Last: tell the local engine what is done (it cannot read job bookmarks), then commit ours.
    checkpoint = advance_checkpoint(_read_checkpoint(s3, bucket), sources, LATE_ARRIVAL_HOURS)
    s3.put_object(Bucket=bucket, Key=CHECKPOINT_KEY, Body=json.dumps(checkpoint).encode("utf-8"))
    job.commit()


if __name__ == "__main__":
    main()
