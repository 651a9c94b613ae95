// Whether a module is the script node was started with (`npm run device`, `tsx device/…`), so
// the CLIs run their main() only then and stay importable by tests.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** True when `moduleUrl` (the caller's import.meta.url) is the process's entry script. */
export const isEntryPoint = (moduleUrl: string): boolean => {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    // realpath: npm and tsx may start the script through a symlink.
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
};
