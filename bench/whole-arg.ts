// A benchmark's whole-number option: in range, or the usage and exit code 2.
export const wholeArg =
  (help: string) =>
  (name: string, raw: string, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      console.error(`--${name} must be a whole number in ${min}..${max}, got "${raw}"\n${help}`);
      process.exit(2);
    }
    return n;
  };
