import fc from 'fast-check';
import type { Customer } from '../../shared/customers/customer.js';
import { externalIdProblem } from '../../shared/customers/external-id.js';
import type { WireRequest } from './fuzz-http.js';

/**
 * Hostile requests for the local HTTP server, as plain data (so a failing case prints compactly and replays
 * from its seed), turned into bytes against the table as it is when the request is sent, together with what
 * the documented API must answer to it.
 */

export const FUZZ_TOKEN = 'fuzz-token';
export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_CUSTOMER_ID = 9223372036854775807n;

// ---------------------------------------------------------------------------------------------- the table

/** The customers the table holds, sorted by id; requests name them by position, resolved when sent. */
export interface World {
  customers: Customer[];
}

/** A customer's current id or externalId, looked up when the request is sent. */
export interface Live {
  live: 'id' | 'externalId';
  index: number;
}
export type Text = string | Live;

const pick = (world: World, index: number): Customer | undefined => world.customers[index % Math.max(world.customers.length, 1)];

const resolveText = (text: Text, world: World): string => {
  if (typeof text === 'string') return text;
  const customer = pick(world, text.index);
  return customer === undefined ? '' : customer[text.live];
};

/** The seeded pool: ids of several lengths, externalIds that need encoding, optional fields present and absent. */
export const FUZZ_CUSTOMERS: Customer[] = [
  ['1', 'ext-ada-001', {}],
  ['7', 'café-01', { middlename: 'Marie' }],
  ['42', 'ext/with/slash', { mobileNo: '+44 20 7946 0000' }],
  ['120', 'pct%25', { emailAddress: 'pct@example.com' }],
  ['31337', 'P6', { middlename: 'Q', mobileNo: '0', emailAddress: 'p6@example.com' }],
  ['999999999', 'שלום-1', {}],
  ['1000000000000', '😀 smile', {}],
  ['9223372036854775807', 'x'.repeat(50), { status: 'Closed', active: false }],
].map(([id, externalId, extra]) => {
  const customer = {
    id: id as string,
    accountNo: (id as string).padStart(9, '0'),
    externalId: externalId as string,
    status: 'Active',
    active: true,
    officeId: '1',
    officeName: 'Head Office',
    firstname: externalId as string,
    lastname: 'Customer',
    displayName: '',
    activationDate: '2026-05-25',
    ...(extra as Partial<Customer>),
  };
  return { ...customer, displayName: displayName(customer) };
});

function displayName(customer: Pick<Customer, 'firstname' | 'middlename' | 'lastname'>): string {
  return [customer.firstname, customer.middlename, customer.lastname].filter((name) => name !== undefined && name !== '').join(' ');
}

// ---------------------------------------------------------------------------------------------- strings

/** Valid externalIds, few enough that renames collide with each other and with the seeded values often. */
const VALID_POOL = [
  'ext-a', 'ext-b', 'P6', 'p6', 'ext-ada-001', 'café-01', 'ext/with/slash', 'pct%25', 'a b', '100%', '%41', '%2F',
  'Ελένη', 'مرحبا', 'שלום-1', '日本語', '𝒳', '😀', '☺️', '0', '42', '-1', '__proto__', 'constructor', 'null',
  '"quoted"', "O'Brien", 'a\\b', '<script>', 'x'.repeat(50), '€'.repeat(50), '😀'.repeat(50), '\uE000', '\uFFFD',
];

/** Characters the rule refuses or that often break things: controls, invisibles, bidi, lone surrogates, separators. */
const HOSTILE_CHARACTERS = [
  '\u0000', '\u0001', '\t', '\n', '\r', '\u001B', '\u007F', '\u0085', '\u00A0', '\u00AD', '\u034F', '\u061C', '\u115F',
  '\u180E', '\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2028',
  '\u2029', '\u2060', '\u2066', '\u2067', '\u2068', '\u2069', '\u3000', '\u3164', '\uFE0F', '\uFEFF', '\uFFF9', '\uFFFE',
  '\u0301', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uDFFF\uD800', '\u{E0001}', '\u{E007F}', '\u{1D173}',
  '\u{1F3F3}\uFE0F\u200D\u{1F308}', 'e\u0301', '\u212B', '\uFB01', ' ', '%', '/', '\\', '"', '#', '?', '&', '+',
];

const hostileCharacter = fc.constantFrom(...HOSTILE_CHARACTERS);

/** A valid value with hostile characters put in at chosen places (start, end, middle). */
const withHostileCharacters = fc
  .tuple(fc.constantFrom(...VALID_POOL), fc.array(fc.tuple(hostileCharacter, fc.nat()), { minLength: 1, maxLength: 3 }))
  .map(([base, insertions]) => {
    const points = [...base];
    for (const [character, at] of insertions) points.splice(at % (points.length + 1), 0, character);
    return points.join('');
  });

/** Lengths around the 50 code point limit, in units of one, two and four UTF-8 bytes. */
const edgeLength = fc
  .tuple(fc.constantFrom('x', 'é', '€', '😀', 'e\u0301'), fc.integer({ min: 48, max: 52 }))
  .map(([unit, count]) => unit.repeat(count));

/** A candidate externalId (for the body or the path): valid most of the time, anything at all otherwise. */
export const externalIdText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...VALID_POOL) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 60 }) },
  { weight: 4, arbitrary: withHostileCharacters },
  { weight: 1, arbitrary: fc.string({ unit: hostileCharacter, minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: edgeLength },
);

const liveRef = (live: Live['live']): fc.Arbitrary<Live> => fc.record({ live: fc.constant(live), index: fc.nat(1000) });

// ---------------------------------------------------------------------------------------------- path

type Encoding = 'once' | 'twice' | 'lower-hex' | 'every-byte' | 'as-is';

export type PathPlan =
  | { route: 'by-id' | 'by-external-id'; value: Text; encoding: Encoding }
  /** A whole path as sent: near misses of the routes, broken escapes, raw bytes. */
  | { route: 'raw'; path: string };

const hex = (byte: number) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * Percent-encodes every UTF-8 byte of a string that encodeURIComponent would escape; a lone surrogate, which
 * encodeURIComponent refuses, goes out as the three bytes UTF-8 would give it (invalid UTF-8 on purpose).
 */
const encodeOnce = (value: string): string => {
  let out = '';
  for (const character of value) {
    const unit = character.charCodeAt(0);
    if (character.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map(hex).join('');
    } else {
      out += encodeURIComponent(character);
    }
  }
  return out;
};

const encodeEveryByte = (value: string): string =>
  value.isWellFormed() ? [...Buffer.from(value, 'utf8')].map(hex).join('') : encodeOnce(value);

/** What a careless client sends: printable ASCII as is, spaces and controls escaped (Node refuses them), other characters as raw UTF-8 bytes. */
const sendAsIs = (value: string): string => {
  let out = '';
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    if (code > 0x20 && code < 0x7f) out += character;
    else if (code <= 0x20) out += hex(code);
    else out += Buffer.from(character, 'utf8').toString('latin1');
  }
  return out;
};

const encodeSegment = (value: string, encoding: Encoding): string => {
  switch (encoding) {
    case 'once':
      return encodeOnce(value);
    case 'twice':
      return encodeOnce(encodeOnce(value));
    case 'lower-hex':
      return encodeOnce(value).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
    case 'every-byte':
      return encodeEveryByte(value);
    case 'as-is':
      return sendAsIs(value);
  }
};

const encoding: fc.Arbitrary<Encoding> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('once' as const) },
  { weight: 1, arbitrary: fc.constantFrom('twice' as const, 'lower-hex' as const, 'every-byte' as const, 'as-is' as const) },
);

const idLike = fc.oneof(
  fc.constantFrom('0', '00', '01', '-1', '+1', '1e3', '1.0', ' 1', '1 ', '0x10', '١٢', '１２', '9223372036854775807',
    '9223372036854775808', '99999999999999999999', '18446744073709551616', '42abc', 'NaN', 'Infinity', '4\u200B2'),
  fc.bigInt({ min: 1n, max: 2n ** 64n }).map(String),
);

const BROKEN_ESCAPES = ['%', '%%', '%G1', '%2', '%C3', '%C3%28', '%ED%A0%80', '%ED%BF%BF', '%FF', '%FE%FF', '%F4%90%80%80', '%C0%AF',
  '%E0%80%AF', '%F8%88%80%80%80', '%00', '%2F', '%2f', '%25', '%252F', '%u0041', '%E2%80%AE', '%EF%BB%BF', '..', '.', '%2e%2e'];

const rawSegment = fc.oneof(
  fc.constantFrom(...BROKEN_ESCAPES),
  fc.tuple(fc.constantFrom(...VALID_POOL), fc.constantFrom(...BROKEN_ESCAPES), fc.boolean())
    .map(([value, escape, before]) => (before ? escape + encodeOnce(value) : encodeOnce(value) + escape)),
  // Printable ASCII as is, and now and then a byte above 0x7E, which HTTP does not allow in a request target.
  fc.string({ unit: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) }, fc.integer({ min: 0x7f, max: 0xff }))
    .map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 30 }),
);

const rawPath = fc.oneof(
  fc.constantFrom('/', '/v1', '/v1/', '/v1/customers', '/v1/customers/', '/v1/customers/external', '/v1/customers/external/',
    '/v1/customers/42/', '/v1/customers/42/extra', '/v1/customers/external/a/b', '/V1/customers/42', '/v1//customers/42',
    '/v1/Customers/42', '/v1/customers/%34%32', '/v1/customers/external/%2e%2e', '/v1/customers/external/..%2F42',
    '//v1/customers/42', '/v1/customers/external/ext-ada-001/', '/v1/customers%2F42', '/v1/customers/external%2Fext-ada-001'),
  rawSegment.map((segment) => `/v1/customers/${segment}`),
  rawSegment.map((segment) => `/v1/customers/external/${segment}`),
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 40 }).map((path) => `/${path}`),
);

const pathPlan: fc.Arbitrary<PathPlan> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ route: fc.constant('by-id' as const), value: fc.oneof({ weight: 4, arbitrary: liveRef('id') }, liveRef('externalId'), idLike, externalIdText), encoding }) },
  {
    weight: 7,
    arbitrary: fc.record({ route: fc.constant('by-external-id' as const), value: fc.oneof({ weight: 5, arbitrary: liveRef('externalId') }, liveRef('id'), externalIdText), encoding }),
  },
  { weight: 2, arbitrary: fc.record({ route: fc.constant('raw' as const), path: rawPath }) },
);

// ---------------------------------------------------------------------------------------------- headers

/** A header name in some casing: as usual, all lower, all upper, or letter by letter at random. */
const casing = (name: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(name) },
    fc.constant(name.toLowerCase()),
    fc.constant(name.toUpperCase()),
    fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) =>
      [...name].map((character, index) => (upper[index] ? character.toUpperCase() : character.toLowerCase())).join(''),
    ),
  );

const printableAscii = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength });

/** Content types the API accepts (application/json and application/*+json, any parameters, any case). */
const JSON_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON',
  'APPLICATION/JSON; CHARSET=UTF-8', 'application/merge-patch+json', 'application/vnd.api+json; charset=utf-8',
  'application/problem+json', 'application/json ; q=0.9', 'application/json\t;charset=utf-8', ' application/json',
  'application/json; charset=iso-8859-1',
];
/** Content types it refuses with 415. */
const OTHER_TYPES = [
  'text/plain', 'text/plain; charset=utf-8', 'text/json', 'application/jsonp', 'application/json-seq', 'application/x-json',
  'application/json5', 'application/+json', 'application/octet-stream', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', '*/*', 'json', 'application/', '', 'application/json, text/plain', 'application/xml',
  'application/base64', 'application/json+', 'application/jsonx; charset=utf-8',
];

export interface HeaderLine {
  name: string;
  value: string;
}

export interface ContentTypePlan {
  lines: HeaderLine[];
}

const contentTypeLine = (json: boolean) =>
  fc.record({ name: casing('Content-Type'), value: fc.constantFrom(...(json ? JSON_TYPES : OTHER_TYPES)) });

const contentType: fc.Arbitrary<ContentTypePlan> = fc.oneof(
  { weight: 14, arbitrary: contentTypeLine(true).map((line) => ({ lines: [line] })) },
  { weight: 2, arbitrary: contentTypeLine(false).map((line) => ({ lines: [line] })) },
  { weight: 1, arbitrary: fc.constant<ContentTypePlan>({ lines: [] }) },
  // Garbage that is not application/…json, and the header twice (joined with a comma, no longer one media type).
  { weight: 1, arbitrary: fc.record({ name: casing('Content-Type'), value: printableAscii(30).filter((value) => !/^\s*application\//i.test(value)) }).map((line) => ({ lines: [line] })) },
  { weight: 1, arbitrary: fc.tuple(contentTypeLine(true), contentTypeLine(true)).map((lines) => ({ lines })) },
);

export interface AuthPlan {
  lines: HeaderLine[];
  /** Exactly one Authorization line carrying the accepted token under the Bearer scheme. */
  valid: boolean;
}

const validAuthorization = fc
  .tuple(casing('Bearer'), fc.constantFrom(' ', '  ', '\t'), fc.constantFrom('', ' ', '  '), fc.constantFrom('', ' '))
  .map(([scheme, gap, lead, trail]) => `${lead}${scheme}${gap}${FUZZ_TOKEN}${trail}`);

const invalidAuthorization = fc.oneof(
  fc.constantFrom('', ' ', 'Bearer', 'Bearer ', `${FUZZ_TOKEN}`, `Basic ${FUZZ_TOKEN}`, `Bearer ${FUZZ_TOKEN}x`, `Bearer x${FUZZ_TOKEN}`,
    `Bearer ${FUZZ_TOKEN.toUpperCase()}`, `Bearer ${FUZZ_TOKEN} extra`, `Bearer "${FUZZ_TOKEN}"`, `BearerX ${FUZZ_TOKEN}`,
    `Bearer,${FUZZ_TOKEN}`, `Bearer ${Buffer.from(FUZZ_TOKEN).toString('base64')}`, 'Bearer wrong-token'),
  printableAscii(40).filter((value) => !value.includes(FUZZ_TOKEN)),
);

const auth: fc.Arbitrary<AuthPlan> = fc.oneof(
  { weight: 17, arbitrary: fc.tuple(casing('Authorization'), validAuthorization).map(([name, value]) => ({ lines: [{ name, value }], valid: true })) },
  { weight: 1, arbitrary: fc.constant<AuthPlan>({ lines: [], valid: false }) },
  { weight: 1, arbitrary: fc.tuple(casing('Authorization'), invalidAuthorization).map(([name, value]) => ({ lines: [{ name, value }], valid: false })) },
  // The right token twice: the lines are joined with a comma, which is no longer one token.
  { weight: 1, arbitrary: fc.tuple(casing('Authorization'), casing('Authorization'), validAuthorization).map(([first, second, value]) => ({ lines: [{ name: first, value }, { name: second, value }], valid: false })) },
);

const contentEncoding = fc.oneof(
  { weight: 30, arbitrary: fc.constant([] as HeaderLine[]) },
  { weight: 2, arbitrary: fc.record({ name: casing('Content-Encoding'), value: fc.constantFrom('identity', 'IDENTITY', ' identity ', 'gzip', 'br', 'deflate', 'x-gzip', 'identity, gzip', '') }).map((line) => [line]) },
);

/** Harmless headers with hostile names or values; API Gateway passes them on, so the handler sees them. */
const extraHeaders = fc.array(
  fc.oneof(
    fc.record({ name: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'X-Amzn-Trace-Id', 'X-Forwarded-For', 'User-Agent', 'Accept', 'X-Content-Type'), value: printableAscii(40) }),
    fc.record({ name: casing('Cookie'), value: fc.constantFrom('a=b; c', '__proto__=x', ';;', '=') }),
    fc.record({ name: fc.constant('X-Latin1'), value: fc.string({ unit: fc.integer({ min: 0xa0, max: 0xff }).map((code) => String.fromCharCode(code)), maxLength: 8 }) }),
  ),
  { maxLength: 3 },
);

export interface HostPlan {
  line?: HeaderLine;
}

const host: fc.Arbitrary<HostPlan> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ name: casing('Host'), value: fc.constantFrom('127.0.0.1', 'localhost', 'api.example.com', 'LOCALHOST:3000', '') }).map((line) => ({ line })) },
  { weight: 1, arbitrary: fc.constant({}) },
);

// ---------------------------------------------------------------------------------------------- bodies

type RenameStyle =
  | 'compact' | 'pretty' | 'bom' | 'ascii-escaped' | 'duplicate-key' | 'extra-key' | 'proto-key' | 'constructor-key' | 'in-array'
  | 'truncated' | 'trailing-garbage' | 'base64' | 'invalid-utf8' | 'surrogate-bytes' | 'utf16' | 'latin1' | 'single-quoted';

const RENAME_STYLES: readonly RenameStyle[] = ['pretty', 'bom', 'ascii-escaped', 'duplicate-key', 'extra-key', 'proto-key',
  'constructor-key', 'in-array', 'truncated', 'trailing-garbage', 'base64', 'invalid-utf8', 'surrogate-bytes', 'utf16', 'latin1',
  'single-quoted'];

export type BodyPlan =
  | { kind: 'rename'; externalId: Text; style: RenameStyle; at: number }
  /** {"externalId": <any JSON value>} with perhaps other keys. */
  | { kind: 'externalId-of-any-type'; externalId: unknown; others: Record<string, unknown> }
  | { kind: 'json-text'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: number[] }
  | { kind: 'empty' }
  /** A huge externalId, or a valid body behind a lot of whitespace; `length` in units, built when sent. */
  | { kind: 'huge'; shape: 'externalId' | 'padding' | 'key'; unit: string; length: number }
  | { kind: 'deep'; open: string; close: string; depth: number }
  /** Over the 1 MiB cap by `excess` bytes. */
  | { kind: 'over-limit'; excess: number };

const newExternalId: fc.Arbitrary<Text> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...VALID_POOL) },
  { weight: 2, arbitrary: liveRef('externalId') },
  { weight: 2, arbitrary: externalIdText },
  { weight: 3, arbitrary: fc.oneof(withHostileCharacters, fc.string({ unit: hostileCharacter, minLength: 1, maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 16 }), edgeLength) },
);

const bodyPlan: fc.Arbitrary<BodyPlan> = fc.oneof(
  { weight: 14, arbitrary: fc.record({ kind: fc.constant('rename' as const), externalId: newExternalId, style: fc.constant('compact' as RenameStyle), at: fc.nat() }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('rename' as const), externalId: newExternalId, style: fc.constantFrom(...RENAME_STYLES), at: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('externalId-of-any-type' as const),
      externalId: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(undefined, 1e308, -0, 42, true, null, [], {}, ['ext-a'], { externalId: 'ext-a' })),
      others: fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('externalid', 'ExternalId', 'firstname', 'id', 'status', ' externalId')), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 })),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('json-text' as const), text: fc.oneof(fc.json({ maxDepth: 3 }), fc.json({ maxDepth: 2, stringUnit: 'binary' })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.base64String({ maxLength: 40 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 48 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('huge' as const),
      shape: fc.constantFrom('externalId' as const, 'padding' as const, 'key' as const),
      unit: fc.oneof(fc.constantFrom('x', 'é', '😀', ' ', '\u200B', '\\u0000', '\\ud800', 'e\u0301', 'ab'), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })),
      length: fc.integer({ min: 1000, max: 100_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deep' as const), open: fc.constantFrom('[', '{"a":', '{"externalId":['), close: fc.constantFrom(']', '}'), depth: fc.integer({ min: 100, max: 100_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('over-limit' as const), excess: fc.integer({ min: 1, max: 4096 }) }) },
);

/** Escapes every character outside printable ASCII as \uXXXX, lone surrogates included. */
const asciiJson = (text: string) => text.replace(/[^\x20-\x7e]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);

const INVALID_UTF8 = [[0xff], [0xc0, 0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe, 0xff]];

const renameBody = (externalId: string, style: RenameStyle, at: number): Buffer => {
  const compact = JSON.stringify({ externalId });
  const splice = (bytes: Buffer, insert: number[]) => {
    // Inside the string value, where a lenient decoder would turn the bytes into U+FFFD and store them.
    const position = Math.min(bytes.length - 2, '{"externalId":"'.length + (at % (Buffer.byteLength(JSON.stringify(externalId)) - 1)));
    return Buffer.concat([bytes.subarray(0, position), Buffer.from(insert), bytes.subarray(position)]);
  };
  switch (style) {
    case 'compact':
      return Buffer.from(compact);
    case 'pretty':
      return Buffer.from(`\r\n\t ${JSON.stringify({ externalId }, null, at % 2 === 0 ? 2 : '\t')} \n`);
    case 'bom':
      return Buffer.from(`\uFEFF${compact}`);
    case 'ascii-escaped':
      return Buffer.from(asciiJson(compact));
    case 'duplicate-key':
      return Buffer.from(at % 2 === 0 ? `{"externalId":"decoy","externalId":${JSON.stringify(externalId)}}` : `{"externalId":${JSON.stringify(externalId)},"externalId":"decoy"}`);
    case 'extra-key':
      return Buffer.from(JSON.stringify({ externalId, [['firstname', 'id', 'externalID', '', 'status', 'displayName'][at % 6] ?? 'x']: 'x' }));
    case 'proto-key':
      return Buffer.from(`{"__proto__":{"admin":true},"externalId":${JSON.stringify(externalId)}}`);
    case 'constructor-key':
      return Buffer.from(`{"externalId":${JSON.stringify(externalId)},"constructor":{"prototype":{"admin":true}}}`);
    case 'in-array':
      return Buffer.from(JSON.stringify([{ externalId }]));
    case 'truncated':
      return Buffer.from(compact).subarray(0, at % Buffer.byteLength(compact));
    case 'trailing-garbage':
      return Buffer.concat([Buffer.from(compact), Buffer.from(['}', ',', 'x', '\u0000', '{}', ' //', '\uFEFF'][at % 7] ?? '}')]);
    case 'base64':
      return Buffer.from(Buffer.from(compact).toString('base64'));
    case 'invalid-utf8':
      return splice(Buffer.from(compact), INVALID_UTF8[at % INVALID_UTF8.length] ?? [0xff]);
    case 'surrogate-bytes':
      // UTF-8 cannot encode a surrogate: CESU-8 style bytes for U+D83D U+DE00 instead of the four bytes of 😀.
      return splice(Buffer.from(compact), [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]);
    case 'utf16':
      return Buffer.from(compact, 'utf16le');
    case 'latin1':
      return Buffer.from(compact, 'latin1');
    case 'single-quoted':
      return Buffer.from(`{'externalId':'${externalId}'}`);
  }
};

const buildBody = (plan: BodyPlan, world: World): Buffer => {
  switch (plan.kind) {
    case 'rename':
      return renameBody(resolveText(plan.externalId, world), plan.style, plan.at);
    case 'externalId-of-any-type':
      return Buffer.from(JSON.stringify({ ...plan.others, externalId: plan.externalId }) ?? '');
    case 'json-text':
    case 'text':
      return Buffer.from(plan.text);
    case 'bytes':
      return Buffer.from(plan.bytes);
    case 'empty':
      return Buffer.alloc(0);
    case 'huge': {
      const big = plan.unit.repeat(plan.length);
      if (plan.shape === 'externalId') return Buffer.from(`{"externalId":"${big.replace(/"/g, '\\"')}"}`);
      if (plan.shape === 'key') return Buffer.from(JSON.stringify({ externalId: 'ext-a', [big]: 1 }));
      return Buffer.from(`${' '.repeat(plan.length)}{"externalId":"ext-huge"}${'\n'.repeat(plan.length % 1000)}`);
    }
    case 'deep':
      return Buffer.from(`${plan.open.repeat(plan.depth)}1${plan.close.repeat(plan.depth)}`);
    case 'over-limit':
      return Buffer.concat([Buffer.from('{"externalId":"ext-a"}'), Buffer.alloc(MAX_BODY_BYTES - 21 + plan.excess, 0x20)]);
  }
};

// ---------------------------------------------------------------------------------------------- requests

export interface RequestPlan {
  method: string;
  path: PathPlan;
  query: string | null;
  /** Send the target in absolute form (`http://host/path`) with this authority, which the server must ignore. */
  absoluteForm: string | null;
  host: HostPlan;
  auth: AuthPlan;
  contentType: ContentTypePlan;
  contentEncoding: HeaderLine[];
  extraHeaders: HeaderLine[];
  /** Positions for shuffling the header lines. */
  order: number[];
  body: BodyPlan;
  framing: WireRequest['framing'];
  /** Send on a kept-alive connection that earlier requests used, rather than a fresh one. */
  reuseConnection: boolean;
}

export const requestPlan: fc.Arbitrary<RequestPlan> = fc.record({
  method: fc.oneof(
    { weight: 40, arbitrary: fc.constant('PUT') },
    { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND') },
    { weight: 1, arbitrary: fc.constantFrom('FUZZ', 'PUTT') },
  ),
  path: pathPlan,
  query: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, fc.constantFrom('x=1', 'a=%', 'externalId=evil', '__proto__=1', 'constructor=x&constructor=y', '=', '&&', 'a=%FF', 'q=%E2%80%AE', '')),
  absoluteForm: fc.oneof({ weight: 15, arbitrary: fc.constant(null) }, fc.constantFrom('http://127.0.0.1', 'HTTP://LOCALHOST:3000', 'https://api.example.com', 'http://user:pass@x')),
  host,
  auth,
  contentType,
  contentEncoding,
  extraHeaders,
  order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  body: bodyPlan,
  framing: fc.oneof({ weight: 10, arbitrary: fc.constant('content-length' as const) }, fc.constant('chunked' as const), fc.constant('expect' as const)),
  reuseConnection: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, fc.constant(true)),
});

export interface BuiltRequest {
  wire: WireRequest;
  /** The path value the client meant, before encoding (for messages). */
  rawSegment?: string;
}

const ROUTE_PREFIX = { 'by-id': '/v1/customers/', 'by-external-id': '/v1/customers/external/' } as const;

export const buildRequest = (plan: RequestPlan, world: World, port: number): BuiltRequest => {
  let path: string;
  let rawSegment: string | undefined;
  if (plan.path.route === 'raw') {
    path = plan.path.path;
  } else {
    rawSegment = encodeSegment(resolveText(plan.path.value, world), plan.path.encoding);
    path = ROUTE_PREFIX[plan.path.route] + rawSegment;
  }
  if (plan.query !== null) path += `?${plan.query}`;
  const target = plan.absoluteForm === null ? path : `${plan.absoluteForm === 'http://127.0.0.1' ? `http://127.0.0.1:${port}` : plan.absoluteForm}${path}`;

  const lines: HeaderLine[] = [...plan.auth.lines, ...plan.contentType.lines, ...plan.contentEncoding, ...plan.extraHeaders];
  // Shuffle deterministically, then Host first as clients do (most of the time).
  const shuffled = lines.map((line, index) => ({ line, key: plan.order[index % plan.order.length] ?? 0 })).sort((a, b) => a.key - b.key).map(({ line }) => line);
  if (plan.host.line !== undefined) {
    const value = plan.host.line.value === '127.0.0.1' ? `127.0.0.1:${port}` : plan.host.line.value;
    shuffled.splice((plan.order[0] ?? 0) % 5 === 0 ? shuffled.length : 0, 0, { name: plan.host.line.name, value });
  }
  return {
    wire: {
      method: plan.method,
      target,
      headers: shuffled.map(({ name, value }) => [name, value] as const),
      body: buildBody(plan.body, world),
      framing: plan.framing,
    },
    ...(rawSegment === undefined ? {} : { rawSegment }),
  };
};

// ---------------------------------------------------------------------------------------------- the oracle

export type Expectation = (
  | { status: 400 | 401 | 404 | 413 | 415; why: string }
  | { status: 409; why: string }
  | { status: 200; why: string; customer: Customer; renamedFrom?: string }
) & {
  /** Another answer that is just as right, where the README leaves the choice open. */
  or?: Expectation;
};

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND']);

/** The route as API Gateway matches it: the path (no query, no fragment) split on '/', the value one raw segment. */
const routeOf = (target: string): { route: 'by-id' | 'by-external-id'; rawValue: string } | undefined => {
  let path = target.replace(/^https?:\/\/[^/?#]*/i, '');
  if (!path.startsWith('/')) path = `/${path}`;
  path = path.split('#')[0] ?? '';
  path = path.split('?')[0] ?? '';
  const segments = path.split('/');
  if (segments[0] !== '' || segments[1] !== 'v1' || segments[2] !== 'customers') return undefined;
  if (segments.length === 5 && segments[3] === 'external' && segments[4] !== '') return { route: 'by-external-id', rawValue: segments[4] ?? '' };
  if (segments.length === 4 && segments[3] !== '') return { route: 'by-id', rawValue: segments[3] ?? '' };
  return undefined;
};

const isCustomerIdText = (value: string) => /^[1-9][0-9]{0,18}$/.test(value) && BigInt(value) <= MAX_CUSTOMER_ID;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The new externalId a body asks for, read as the README describes it; undefined when the body is not that shape. */
export const requestedExternalId = (body: Buffer): string | undefined => {
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    return undefined;
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'externalId') return undefined;
  const externalId = (value as { externalId: unknown }).externalId;
  return typeof externalId === 'string' ? externalId : undefined;
};

/**
 * Values the README's rule refuses on its face, checked without the product's code: empty, over 50 code points,
 * an unpaired surrogate, a control, format or separator character, whitespace at either end, not NFC.
 */
export const plainlyBreaksRule = (value: string): boolean =>
  value.length === 0 ||
  !value.isWellFormed() ||
  [...value].length > 50 ||
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(value) ||
  value.trim() !== value ||
  value.normalize('NFC') !== value;

const hasLine = (lines: readonly (readonly [string, string])[], name: string) => lines.filter(([line]) => line.toLowerCase() === name);

/** What the API must answer, from the wire request and the table before it; the order of checks is the README's. */
export const expectationFor = (plan: RequestPlan, built: BuiltRequest, world: World): Expectation => {
  const { wire } = built;
  const body = wire.body ?? Buffer.alloc(0);
  // The HTTP parser refuses these before anything else looks at the request.
  if (!KNOWN_METHODS.has(wire.method)) return { status: 400, why: 'an unknown method is not HTTP' };
  if (/[^\x21-\x7e]/.test(wire.target)) return { status: 400, why: 'a request target with a byte outside printable ASCII is not HTTP' };
  if (plan.host.line === undefined) return { status: 400, why: 'an HTTP/1.1 request needs a Host header' };

  const match = wire.method === 'PUT' ? routeOf(wire.target) : undefined;
  if (match === undefined) return { status: 404, why: 'no route' };
  if (!plan.auth.valid) return { status: 401, why: 'no accepted bearer token' };

  let value: string;
  try {
    value = decodeURIComponent(match.rawValue);
  } catch {
    return { status: 400, why: 'the path value is not valid percent-encoded UTF-8' };
  }
  if (body.length > MAX_BODY_BYTES) return { status: 413, why: 'the body is over 1 MiB' };

  const typeLines = hasLine(wire.headers, 'content-type').map(([, line]) => line);
  const notJson: Expectation = { status: 415, why: 'the content type is not JSON' };
  if (typeLines.length === 0 || !typeLines.every((line) => JSON_TYPES.includes(line))) return notJson;
  if (typeLines.length > 1) {
    // Content-Type twice, both JSON: the README does not say; refusing (415) and reading the body as JSON both fit.
    const asJson = afterContentType(match, value, body, wire, world);
    return asJson.status === 415 ? asJson : { ...asJson, why: `${asJson.why}, or 415 for Content-Type twice`, or: notJson };
  }
  return afterContentType(match, value, body, wire, world);
};

const afterContentType = (
  match: { route: 'by-id' | 'by-external-id' },
  value: string,
  body: Buffer,
  wire: WireRequest,
  world: World,
): Expectation => {
  const encodingLines = hasLine(wire.headers, 'content-encoding');
  if (encodingLines.length > 0 && !['', 'identity'].includes((encodingLines[0]?.[1] ?? '').trim().toLowerCase())) {
    return { status: 415, why: 'a Content-Encoding' };
  }

  if (match.route === 'by-id' && !isCustomerIdText(value)) return { status: 400, why: 'the path customer_id is not a customer id' };
  if (match.route === 'by-external-id' && (plainlyBreaksRule(value) || externalIdProblem(value, 'path') !== undefined)) {
    return { status: 400, why: 'the path externalId breaks the rule' };
  }
  const next = requestedExternalId(body);
  if (next === undefined) return { status: 400, why: 'the body is not {"externalId": "<string>"}' };
  if (plainlyBreaksRule(next) || externalIdProblem(next, 'externalId') !== undefined) return { status: 400, why: 'the new externalId breaks the rule' };

  const customer = world.customers.find((candidate) => (match.route === 'by-id' ? candidate.id : candidate.externalId) === value);
  if (customer === undefined) return { status: 404, why: 'no such customer' };
  if (customer.externalId === next) return { status: 200, why: 'already renamed', customer };
  if (world.customers.some((other) => other.externalId === next)) return { status: 409, why: 'the new externalId is taken' };
  const renamed = { ...customer, externalId: next, firstname: next };
  return { status: 200, why: 'renamed', customer: { ...renamed, displayName: displayName(renamed) }, renamedFrom: customer.externalId };
};

// ---------------------------------------------------------------------------------------------- messages

const preview = (text: string, max = 160) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);

export const describeWire = (wire: WireRequest): string => {
  const body = wire.body ?? Buffer.alloc(0);
  const bodyText = body.length <= 200 ? JSON.stringify(body.toString('latin1')) : `${body.length} bytes starting ${JSON.stringify(body.subarray(0, 80).toString('latin1'))}`;
  return [
    `${wire.method} ${JSON.stringify(preview(wire.target))} (${wire.framing})`,
    ...wire.headers.map(([name, value]) => `  ${name}: ${JSON.stringify(preview(value))}`),
    `  body (latin1 view): ${bodyText}`,
  ].join('\n');
};
