// A deliberately naive HTTP/1.1 client over a raw socket: it sends exactly the bytes it is given
// (node's own client refuses malformed request lines, which is what the fuzz test needs to send)
// and reads the whole answer until the server closes the connection.
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const rawRequest = (url: string, head: Buffer | string, timeoutMs = 10_000) =>
  new Promise<RawResponse>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('raw request timed out')));
    socket.on('connect', () => socket.write(head));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text
        .slice(0, split < 0 ? text.length : split)
        .split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      if (!Number.isInteger(status)) {
        reject(new Error(`no HTTP status in ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status, headers, body: split < 0 ? '' : text.slice(split + 4) });
    });
  });

/** A GET with `Connection: close`, the target sent verbatim. */
export const rawGet = (
  url: string,
  target: string | Buffer,
  headers: Record<string, string> = {},
) =>
  rawRequest(
    url,
    Buffer.concat([
      Buffer.from('GET '),
      typeof target === 'string' ? Buffer.from(target, 'utf8') : target,
      Buffer.from(
        ` HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}Connection: close\r\n\r\n`,
        'utf8',
      ),
    ]),
  );
