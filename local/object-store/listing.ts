// One page of a bucket listing, as S3 computes it for ListObjectsV2 and ListObjects: keys under
// `prefix` after `after`, keys that share a `delimiter` after the prefix rolled up into one
// common prefix, at most `maxKeys` entries (keys and common prefixes count alike).
import type { SortedKeys } from './key-order.js';

export interface ListingRequest {
  prefix: string;
  delimiter?: string;
  /** List only entries after this one (start-after, marker, or a continuation token's entry). */
  after?: string;
  maxKeys: number;
}

export interface ListingPage {
  keys: string[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last entry returned (a key or a common prefix): where the next page starts. */
  last?: string;
}

/** The common prefix `key` rolls up into, or undefined when it is listed as itself. */
const rollUp = (key: string, prefix: string, delimiter: string | undefined): string | undefined => {
  if (!delimiter || !key.startsWith(prefix)) return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
};

export const listPage = (keys: SortedKeys, request: ListingRequest): ListingPage => {
  const { prefix, delimiter, after, maxKeys } = request;
  const page: ListingPage = { keys: [], commonPrefixes: [], isTruncated: false };
  let index = keys.seek(prefix);
  if (after !== undefined) {
    index = Math.max(index, keys.seek(after, true));
    // Resuming after a common prefix: everything under it was listed as that prefix.
    if (rollUp(after, prefix, delimiter) === after) index = keys.pastPrefix(after, index);
  }
  let entries = 0;
  while (index < keys.size) {
    const key = keys.at(index) as string;
    if (!key.startsWith(prefix)) break;
    if (entries >= maxKeys) {
      page.isTruncated = true;
      break;
    }
    const common = rollUp(key, prefix, delimiter);
    if (common !== undefined) {
      page.commonPrefixes.push(common);
      page.last = common;
      index = keys.pastPrefix(common, index);
    } else {
      page.keys.push(key);
      page.last = key;
      index++;
    }
    entries++;
  }
  return page;
};
