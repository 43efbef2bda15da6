import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';

/** One request exactly as it goes on the wire, for the fuzz test: header names keep their casing. */
export interface WireRequest {
  method: string;
  /** The request target; characters U+0080–U+00FF go out as single raw bytes (Node writes the head as latin1). */
  target: string;
  /** Header lines in order, Host included when wanted; a repeated name goes out as separate lines. */
  headers: readonly (readonly [string, string])[];
  body?: Buffer;
  /** content-length: the body in one piece; chunked: in pieces without a length; expect: Expect 100-continue first. */
  framing: 'content-length' | 'chunked' | 'expect';
}

export interface WireResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Sends one request to 127.0.0.1 and reads the whole answer: on a fresh connection, or through `agent` on one that
 * earlier requests used. Rejects when no complete answer arrives within `timeoutMs` (a hang) or the connection
 * fails before one does.
 */
export const sendWireRequest = (port: number, wire: WireRequest, timeoutMs: number, agent: Agent | false = false): Promise<WireResponse> =>
  new Promise((resolve, reject) => {
    const signal = AbortSignal.timeout(timeoutMs);
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      request.destroy();
      reject(new Error(why));
    };
    const body = wire.body ?? Buffer.alloc(0);
    const flat: string[] = [];
    for (const [name, value] of wire.headers) flat.push(name, value);
    if (wire.framing !== 'chunked') flat.push('Content-Length', String(body.length));
    else flat.push('Transfer-Encoding', 'chunked');
    if (wire.framing === 'expect') flat.push('Expect', '100-continue');

    // An array of headers is sent as given: no Host, Connection or framing header is added or recased.
    const request = httpRequest({ host: '127.0.0.1', port, method: wire.method, path: wire.target, headers: flat, agent });
    signal.addEventListener('abort', () => fail(`no complete answer within ${timeoutMs} ms`), { once: true });
    request.on('error', (error: NodeJS.ErrnoException) => fail(`the connection failed before an answer: ${error.code ?? error.message}`));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => fail(`the answer broke off: ${error.message}`));
      response.on('aborted', () => fail('the answer broke off'));
      response.on('end', () => {
        if (settled) return;
        settled = true;
        // A request still waiting for 100 Continue was answered without it: the body is not wanted.
        if (!request.writableEnded) request.destroy();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
      });
    });

    if (wire.framing === 'expect') {
      request.flushHeaders();
      request.once('continue', () => request.end(body));
    } else if (wire.framing === 'chunked') {
      // A few pieces of uneven size, so the server sees the body arrive in parts.
      const cut = Math.floor(body.length / 3);
      if (cut > 0) request.write(body.subarray(0, cut));
      if (body.length - cut > 0) request.write(body.subarray(cut));
      request.end();
    } else {
      request.end(body);
    }
  });
