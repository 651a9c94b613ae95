// What the container's command-line entry points (train-cli, serve-cli) share: a failure is
// printed as one line and exits 1, and a module knows whether node started it as the script.

/** Runs `work`: exit code 0, or 1 after printing `<failure>: <message>`. */
export const runOrFail = async (failure: string, work: () => Promise<void>): Promise<number> => {
  try {
    await work();
    return 0;
  } catch (error) {
    console.error(`${failure}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
};

/** Whether the module at `moduleUrl` is the script node was started with (not an import). */
export const isEntryPoint = (moduleUrl: string): boolean => {
  const script = process.argv[1];
  return Boolean(script) && moduleUrl.endsWith(script?.split('/').pop() ?? '');
};
