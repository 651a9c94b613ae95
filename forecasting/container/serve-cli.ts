// npm run serve-model -- --model-dir <dir> --port <n>: SageMaker's inference container over a
// model directory (what a training job wrote to model/, or an unpacked model.tar.gz):
// GET /ping, POST /invocations with DeepAR's JSON. Ctrl-C stops it.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isEntryPoint, runOrFail } from './cli.js';
import { createModelServer } from './model-server.js';

const USAGE = `usage: npm run serve-model -- --model-dir <dir> [--port 8080] [--host 127.0.0.1]`;

export interface ServeOptions {
  modelDir: string;
  port: number;
  host: string;
}

export const parseServeArgs = (argv: string[]): ServeOptions | 'help' => {
  const { values } = parseArgs({
    args: argv,
    options: {
      'model-dir': { type: 'string' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const port = Number(values.port);
  if (!values['model-dir']) throw new Error('--model-dir is required');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer in [0, 65535], got "${values.port}"`);
  }
  return { modelDir: resolve(values['model-dir']), port, host: values.host };
};

/** Loads the model and listens; resolves with the server and its URL. */
export const serve = async (options: ServeOptions): Promise<{ server: Server; url: string }> => {
  const server = await createModelServer(options.modelDir);
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host, () => done());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${options.host}:${port}` };
};

const main = async (argv: string[]): Promise<number> => {
  let options: ServeOptions | 'help';
  try {
    options = parseServeArgs(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const serving = options;
  return runOrFail('cannot serve', async () => {
    const { server, url } = await serve(serving);
    console.log(`model server on ${url} (GET /ping, POST /invocations)`);
    const stop = () => {
      server.close();
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
};

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
