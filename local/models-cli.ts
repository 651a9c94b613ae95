// `npm run models`: prints the model registry (models/registry/) of the local lake, or of the AWS
// lake with --aws (LAKE_BUCKET and AWS credentials from the environment).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ModelCard, REGISTRY_PREFIX, RegistryEntry, SERVING_CARD_KEY } from '../core/model-card.js';
import type { ObjectStore } from '../core/ports.js';
import { decodeText } from '../core/text.js';
import { loadConfig } from '../functions/common/config.js';
import { createObjectStore } from '../functions/common/deps.js';
import { startObjectStoreServer } from './object-store-server.js';
import { registryTable } from './registry-table.js';
import { RUNTIME_DEFAULTS } from './runtime-defaults.js';

const HELP = `Usage: npm run models -- [--data-dir <dir>] [--aws] [--json]

Prints every model version in the registry, newest first: outcome (promoted, rejected,
rolled-back, failed), training window, test metrics, the champion's score it was compared
with and the reason for the decision. The champion is marked with *.
  --data-dir <dir>  the local runtime's data dir [SMOGCAST_DATA_DIR] (default ./.smogcast)
  --aws             read the deployed lake instead (LAKE_BUCKET, AWS_REGION, credentials)
  --json            print the entries as JSON`;

const readJson = async (store: ObjectStore, key: string): Promise<unknown> => {
  const bytes = await store.get(key);
  return bytes ? JSON.parse(decodeText(bytes)) : undefined;
};

const main = async () => {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      aws: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  let close: () => Promise<void> = async () => {};
  let store: ObjectStore;
  if (values.aws) {
    store = createObjectStore(loadConfig({ ...process.env, SMOGCAST_RUNTIME: 'aws' }));
  } else {
    // A private S3 stand-in over the same directory: works whether or not `npm start` runs.
    const dataDir = resolve(values['data-dir'] ?? process.env.SMOGCAST_DATA_DIR ?? './.smogcast');
    const server = await startObjectStoreServer({
      directory: resolve(dataDir, 's3'),
      bucket: RUNTIME_DEFAULTS.bucket,
    });
    close = server.close;
    store = createObjectStore(
      loadConfig({
        SMOGCAST_RUNTIME: 'local',
        S3_ENDPOINT: server.url,
        LAKE_BUCKET: RUNTIME_DEFAULTS.bucket,
      }),
    );
  }
  try {
    const entries: RegistryEntry[] = [];
    for (const key of await store.list(REGISTRY_PREFIX)) {
      const parsed = RegistryEntry.safeParse(await readJson(store, key));
      if (parsed.success) entries.push(parsed.data);
    }
    const card = ModelCard.safeParse(await readJson(store, SERVING_CARD_KEY));
    const champion = card.success ? card.data.version : undefined;
    process.stdout.write(
      values.json ? `${JSON.stringify(entries, null, 2)}\n` : registryTable(entries, champion),
    );
  } finally {
    await close();
  }
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
