// The few DOM helpers every view uses. Values go in through textContent and attributes only,
// never innerHTML.
const SVG = 'http://www.w3.org/2000/svg';

export const $ = <T extends Element>(selector: string) => {
  const node = document.querySelector<T>(selector);
  if (!node) throw new Error(`missing ${selector}`);
  return node;
};

export const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
};

export const svg = (tag: string, attrs: Record<string, string | number> = {}, text?: string) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
};

export const fmt = (v: number | undefined | null, digits = 1) =>
  v === undefined || v === null || !Number.isFinite(v) ? '—' : v.toFixed(digits);

export const stamp = (iso: string | number | null | undefined) => {
  if (iso === null || iso === undefined) return '—';
  const s = typeof iso === 'number' ? new Date(iso).toISOString() : iso;
  return s.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
};

/** PM2.5-style colour bands (µg/m³). */
export const level = (value: number | undefined): string => {
  if (value === undefined) return 'level-none';
  if (value <= 35) return 'level-good';
  if (value <= 75) return 'level-moderate';
  if (value <= 150) return 'level-unhealthy';
  return 'level-hazardous';
};
