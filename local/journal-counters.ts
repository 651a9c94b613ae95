// The ingest counters of every journal segment already removed, beside the journal
// (counters.json). A segment's counts move here just before its file is deleted, and `through`
// names the last segment folded in: a crash between the two steps leaves a segment the next open
// deletes without counting it again. The live segments' counts come from the segments themselves,
// so the totals are as durable as the journal and never count a replayed record twice. The
// protocol notices (refused packets, unmatched topics, unparsable payloads) are journaled and counted the same way.
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { SmogcastError } from '../core/errors.js';

export interface IngestCounts {
  /** Messages the rule produced a record for (journaled, either stream). */
  received: number;
  /** Records stored in raw/. */
  stored: number;
  /** Records stored in errors/. */
  errors: number;
  /** Publishes refused at the protocol (over the message size limit). */
  refused: number;
  /** Publishes to a topic no rule selects. */
  unmatched: number;
  /** Payloads the rule cannot evaluate (not a JSON object): AWS's rule ParseError. */
  unparsed: number;
}

const Count = z.number().int().nonnegative();
const Checkpoint = z.object({
  through: Count,
  received: Count,
  stored: Count,
  errors: Count,
  // Absent from checkpoints written before the notices were counted.
  refused: Count.default(0),
  unmatched: Count.default(0),
  unparsed: Count.default(0),
});
export type CountsCheckpoint = z.infer<typeof Checkpoint>;

export const COUNTERS_FILE = 'counters.json';

export const EMPTY_CHECKPOINT: CountsCheckpoint = {
  through: 0,
  received: 0,
  stored: 0,
  errors: 0,
  refused: 0,
  unmatched: 0,
  unparsed: 0,
};

export class CountersFileError extends SmogcastError {
  override readonly name = 'CountersFileError';

  constructor(path: string, options?: ErrorOptions) {
    super(`${path} is not a counters checkpoint (remove it to count from zero)`, options);
  }
}

export const readCheckpoint = async (dir: string): Promise<CountsCheckpoint> => {
  const path = join(dir, COUNTERS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_CHECKPOINT;
    throw error;
  }
  try {
    return Checkpoint.parse(JSON.parse(text));
  } catch (error) {
    throw new CountersFileError(path, { cause: error });
  }
};

/** Atomic and flushed: the file holds the old checkpoint or the new one, never half of one. */
export const writeCheckpoint = async (dir: string, checkpoint: CountsCheckpoint): Promise<void> => {
  const path = join(dir, COUNTERS_FILE);
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.write(`${JSON.stringify(checkpoint)}\n`);
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
};
