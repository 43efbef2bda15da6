/**
 * The rule for externalId characters, applied to request bodies, path values and the sample loader alike.
 * firstname mirrors externalId, so the rule keeps to what an LMS first name can hold and to what a person
 * can read back and type again: at most 50 code points, visible, with one spelling per appearance.
 */
export const EXTERNAL_ID_MAX_LENGTH = 50;

// Cc: control characters (NUL, tabs, newlines, DEL, C1). Cf: invisible format characters, among them
// zero-width spaces and joiners, the byte order mark and the bidirectional overrides used to spoof text.
// Zl / Zp: line and paragraph separators, which would break a first name across lines.
const FORBIDDEN_CATEGORY = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
// Characters that render as nothing (Hangul fillers, the combining grapheme joiner, …) would let two
// customers hold references that look identical. Variation selectors stay: emoji need them.
const INVISIBLE = /(?!\p{Variation_Selector})\p{Default_Ignorable_Code_Point}/u;
const LONE_SURROGATE = /\p{Cs}/u;
const LEADING_COMBINING_MARK = /^\p{M}/u;
// Whitespace, variation selectors and the blank Braille pattern show nothing on their own.
const BLANK = /^[\s\p{Variation_Selector}\u2800]*$/u;

const describe = (character: string): string =>
  `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

const firstMatch = (codePoints: string[], pattern: RegExp) => {
  const index = codePoints.findIndex((character) => pattern.test(character));
  return index === -1 ? undefined : { character: describe(codePoints[index] ?? ''), position: index + 1 };
};

/** Why `value` cannot be an externalId, in words naming `field`; undefined when it can. */
export const externalIdProblem = (value: string, field: string): string | undefined => {
  if (value.length === 0) return `${field} must not be empty.`;
  const lone = LONE_SURROGATE.exec(value);
  if (lone) {
    return `${field} must be well-formed Unicode: it contains an unpaired surrogate (${describe(lone[0])}).`;
  }
  const codePoints = [...value];
  if (codePoints.length > EXTERNAL_ID_MAX_LENGTH) {
    return `${field} must be at most ${EXTERNAL_ID_MAX_LENGTH} characters (Unicode code points); it has ${codePoints.length}.`;
  }
  const forbidden = firstMatch(codePoints, FORBIDDEN_CATEGORY);
  if (forbidden) {
    return (
      `${field} must not contain control, format (zero-width or bidirectional) or line-separator characters; ` +
      `found ${forbidden.character} at position ${forbidden.position}.`
    );
  }
  const invisible = firstMatch(codePoints, INVISIBLE);
  if (invisible) {
    return `${field} must not contain invisible characters; found ${invisible.character} at position ${invisible.position}.`;
  }
  if (BLANK.test(value)) return `${field} must not be blank (only whitespace or other characters that show nothing).`;
  if (value.trim() !== value) return `${field} must not start or end with whitespace.`;
  if (LEADING_COMBINING_MARK.test(value)) return `${field} must not start with a combining mark (${describe(value)}).`;
  if (value.normalize('NFC') !== value) {
    return (
      `${field} must be in Unicode normalization form NFC, so that one reference has one spelling: ` +
      `send ${JSON.stringify(value.normalize('NFC'))} instead.`
    );
  }
  return undefined;
};
