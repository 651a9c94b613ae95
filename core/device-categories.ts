// A device's category index in a model's `categories.devices` (the `cat[0]` it was trained
// with). A fleet card lists 10,000 devices and the forecast function asks once per request, so
// each list is indexed once and the index kept as long as the list itself is (the cached card).
const indexes = new WeakMap<readonly string[], ReadonlyMap<string, number>>();

/** Position of `deviceId` in `devices`, -1 when absent; the first position if it is listed twice. */
export const deviceCategory = (devices: readonly string[], deviceId: string): number => {
  let index = indexes.get(devices);
  if (!index) {
    const built = new Map<string, number>();
    devices.forEach((id, i) => {
      if (!built.has(id)) built.set(id, i);
    });
    index = built;
    indexes.set(devices, index);
  }
  return index.get(deviceId) ?? -1;
};
