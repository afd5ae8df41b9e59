/** The status line and headers of an HTTP/1.x response, and how its body is framed. */
export interface ResponseHead {
  statusCode: number;
  reason: string;
  /** names lower-cased; repeated headers joined with ", " */
  headers: Record<string, string>;
  /** bytes of the body that follow the head; undefined when the body is not framed by Content-Length */
  bodyLength: number | undefined;
  /** whether the connection may carry another request after this response */
  keepAlive: boolean;
}

const END = Buffer.from('\r\n\r\n');

/** Offset just past the blank line that ends the head, or -1 while it has not all arrived. `from` skips what was searched before. */
export function headEnd(buf: Buffer, length: number, from: number): number {
  const at = buf.subarray(0, length).indexOf(END, Math.max(0, from - 3));
  return at < 0 ? -1 : at + END.length;
}

/**
 * Parses the head of a response to `method`. Throws on anything that is not HTTP/1.x (a server
 * that speaks something else must not have its bytes taken for a body).
 */
export function parseResponseHead(text: string, method: string): ResponseHead {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!status) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed response header: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const statusCode = Number(status[2]);
  const connection = (headers.connection ?? '').toLowerCase();
  const keepAlive = status[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { statusCode, reason: status[3] ?? '', headers, bodyLength: bodyLength(statusCode, headers, method), keepAlive };
}

function bodyLength(statusCode: number, headers: Record<string, string>, method: string): number | undefined {
  if (method === 'HEAD' || statusCode === 204 || statusCode === 304 || (statusCode >= 100 && statusCode < 200)) return 0;
  if (headers['transfer-encoding'] !== undefined) return undefined;
  const cl = headers['content-length'];
  if (cl === undefined || !/^\d{1,15}$/.test(cl)) return undefined;
  return Number(cl);
}
