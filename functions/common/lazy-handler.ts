// `export const handler` of a Lambda module, built on its first invocation: importing a handler
// module (a unit test, the local runtime, the bundler) reads no environment and cannot throw,
// while a missing or bad variable still fails the first invocation with its ConfigError.
export const onFirstInvocation = <Args extends unknown[], R>(
  build: () => (...args: Args) => R,
): ((...args: Args) => R) => {
  let built: ((...args: Args) => R) | undefined;
  return (...args) => {
    built ??= build();
    return built(...args);
  };
};
