import { describe, expect, it } from 'vitest';
import { parseTelemetry } from '../../../core/telemetry.js';
import {
  parseBeijingCsv,
  replayMessage,
  splitCsvLine,
  stationDeviceId,
} from '../../../device/replay.js';
import { replaySource } from '../../../device/sources.js';

const HEADER =
  '"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","PRES","DEWP","RAIN","wd","WSPM","station"';
const FIXTURE = [
  HEADER,
  '1,2013,3,1,0,4,4,4,7,300,77,-0.7,1023,-18.8,0,"NNW",4.4,"Aotizhongxin"',
  '2,2013,3,1,1,8,NA,4,7,300,77,-1.1,1023.2,-18.2,0,"N",4.7,"Aotizhongxin"',
  '3,2013,3,1,2,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,"Aotizhongxin"',
].join('\n');

describe('Beijing CSV replay', () => {
  it('reads local Beijing time as UTC+8 and NA as missing', () => {
    // Act
    const readings = parseBeijingCsv(FIXTURE, 'fixture.csv');
    // Assess
    expect(readings).toHaveLength(3);
    expect(readings[0]).toEqual({
      station: 'Aotizhongxin',
      ts: Date.UTC(2013, 1, 28, 16),
      pm25: 4,
      pm10: 4,
      so2: 4,
      no2: 7,
      co: 300,
      o3: 77,
    });
    expect(readings[1]?.pm10).toBeNull();
    expect(readings[2]).toMatchObject({ pm25: null, co: null, o3: null });
  });

  it('turns a station reading into valid telemetry v1 of device bj-<station>', () => {
    const [first] = parseBeijingCsv(FIXTURE);
    const message = replayMessage(first as NonNullable<typeof first>, 42);
    expect(message).toMatchObject({
      deviceId: 'bj-aotizhongxin',
      ts: '2013-02-28T16:00:00.000Z',
      seq: 42,
      pm25: 4,
    });
    expect(message.lat).toBeCloseTo(39.98, 1);
    const parsed = parseTelemetry(message, { topicDeviceId: 'bj-aotizhongxin', now: Date.now() });
    expect(parsed.ok).toBe(true);
  });

  it('rejects a file that is not in this format, naming what is missing', () => {
    expect(() => parseBeijingCsv('a,b,c\n1,2,3', 'other.csv')).toThrowError(
      /other\.csv: missing column\(s\) year, month/,
    );
  });

  it('splits quoted CSV fields', () => {
    expect(splitCsvLine('1,"a,b","say ""hi""",')).toEqual(['1', 'a,b', 'say "hi"', '']);
    expect(stationDeviceId('Wan Liu')).toBe('bj-wan-liu');
  });

  it('shifts a replay so its last reading is the current hour, with increasing seq', () => {
    // Prepare
    const now = Date.UTC(2026, 0, 10, 9, 30);
    const source = replaySource({
      readings: parseBeijingCsv(FIXTURE),
      speed: Number.POSITIVE_INFINITY,
      alignToNow: true,
      now: () => now,
    });
    // Act
    const messages = [...source.backfill()];
    // Assess
    expect(source.deviceIds).toEqual(['bj-aotizhongxin']);
    expect(messages.map((m) => m.ts)).toEqual([
      '2026-01-10T07:00:00.000Z',
      '2026-01-10T08:00:00.000Z',
      '2026-01-10T09:00:00.000Z',
    ]);
    expect(messages[1]?.seq).toBeGreaterThan(messages[0]?.seq as number);
  });

  it('paces a replay: what is due goes out in time order, the rest waits until aborted', async () => {
    // Prepare: at 3600× the readings are due 1 s apart; the clock stands 1.5 s after the start
    let clock = 0;
    const source = replaySource({
      readings: parseBeijingCsv(FIXTURE),
      speed: 3_600,
      alignToNow: false,
      now: () => clock,
    });
    const abort = new AbortController();
    const seen: string[] = [];
    // Act
    for await (const batch of source.live(abort.signal)) {
      clock = 1_500;
      seen.push(...batch.map((m) => m.ts));
      // The third reading is due at 2 s: abort while it waits.
      if (seen.length === 2) setTimeout(() => abort.abort(), 10);
    }
    // Assess
    expect([...source.backfill()]).toEqual([]);
    expect(seen).toEqual(['2013-02-28T16:00:00.000Z', '2013-02-28T17:00:00.000Z']);
  });
});
