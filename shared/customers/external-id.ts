/**
 * The rule for externalId characters, applied to request bodies, path values and the sample loader alike.
 * firstname mirrors externalId, so the rule keeps to what an LMS first name can hold and what a person
 * can read back: at most 50 code points, no surrounding whitespace, nothing invisible or unpaired.
 */
export const EXTERNAL_ID_MAX_LENGTH = 50;

// Cc: control characters (NUL, tabs, newlines, DEL, C1). Cf: invisible format characters, among them
// zero-width spaces and joiners, the byte order mark and the bidirectional overrides used to spoof text.
// Zl / Zp: line and paragraph separators, which would break a first name across lines.
const FORBIDDEN_CHARACTER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const LONE_SURROGATE = /\p{Cs}/u;

const describe = (character: string): string =>
  `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `value` cannot be an externalId, in words naming `field`; undefined when it can. */
export const externalIdProblem = (value: string, field: string): string | undefined => {
  if (value.length === 0) return `${field} must not be empty.`;
  if (value.trim().length === 0) return `${field} must not be blank (only whitespace).`;
  const lone = LONE_SURROGATE.exec(value);
  if (lone) {
    return `${field} must be well-formed Unicode: it contains an unpaired surrogate (${describe(lone[0])}).`;
  }
  const codePoints = [...value];
  if (codePoints.length > EXTERNAL_ID_MAX_LENGTH) {
    return `${field} must be at most ${EXTERNAL_ID_MAX_LENGTH} characters (Unicode code points); it has ${codePoints.length}.`;
  }
  const forbidden = codePoints.findIndex((character) => FORBIDDEN_CHARACTER.test(character));
  if (forbidden !== -1) {
    const character = codePoints[forbidden] ?? '';
    return (
      `${field} must not contain control, format (zero-width or bidirectional) or line-separator characters; ` +
      `found ${describe(character)} at position ${forbidden + 1}.`
    );
  }
  if (value.trim() !== value) return `${field} must not start or end with whitespace.`;
  return undefined;
};
