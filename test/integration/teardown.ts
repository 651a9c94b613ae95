// Teardown that leaves nothing behind in the temp folder: every part is closed even when one
// before it fails or was never opened (a setup that failed half-way), and the folders are
// removed last, whatever happened before.
import { rm } from 'node:fs/promises';

type Closer = (() => unknown) | undefined;

/** Closes `parts` in order, then removes `dirs`; rethrows the first failure afterwards. */
export const teardown = async (
  dirs: ReadonlyArray<string | undefined>,
  ...parts: Closer[]
): Promise<void> => {
  const failures: unknown[] = [];
  for (const close of parts) {
    try {
      await close?.();
    } catch (error) {
      failures.push(error);
    }
  }
  for (const dir of dirs) if (dir) await rm(dir, { recursive: true, force: true });
  if (failures.length > 0) throw failures[0];
};
