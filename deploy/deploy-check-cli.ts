// The command line of deploy/deploy-check.ts: prints the report; exit 1 when a requirement
// fails, 2 on bad arguments or params.
import { deployCheck, parseArgs } from './deploy-check.js';

try {
  const { report, failed } = await deployCheck(parseArgs(process.argv.slice(2), process.env));
  process.stdout.write(report);
  process.exitCode = failed ? 1 : 0;
} catch (error) {
  process.stderr.write(`deploy:check: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
