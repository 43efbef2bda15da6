import { EXTERNAL_ID_MAX_LENGTH, externalIdProblem } from '../../shared/customers/external-id.js';

describe('the externalId rule', () => {
  it.each([
    'ext-ada-001',
    'ext ada 001',
    "O'Brien/ACME#7",
    'Ünïcödé',
    '山田太郎',
    'محمد',
    '❤️',
    'a'.repeat(EXTERNAL_ID_MAX_LENGTH),
    '😀'.repeat(EXTERNAL_ID_MAX_LENGTH),
    'caf\u00e9',
  ])('accepts %j', (value) => {
    expect(externalIdProblem(value, 'externalId')).toBeUndefined();
  });

  it.each([
    ['', /must not be empty/],
    [' ', /must not be blank/],
    ['\u3000', /must not be blank/],
    ['\u2800', /must not be blank/],
    [' x', /must not start or end with whitespace/],
    ['x\u00a0', /must not start or end with whitespace/],
    ['a'.repeat(EXTERNAL_ID_MAX_LENGTH + 1), /at most 50 characters.*it has 51/],
    ['x\u0000', /U\+0000 at position 2/],
    ['x\u200by', /U\+200B at position 2/],
    ['x\u202ey', /U\+202E/],
    ['x\u2029y', /U\+2029/],
    ['x\ud800', /unpaired surrogate \(U\+D800\)/],
    ['\udfff', /unpaired surrogate \(U\+DFFF\)/],
    ['\u115f', /invisible characters; found U\+115F/],
    ['\u0301', /combining mark/],
    ['e\u0301', /normalization form NFC/],
  ])('refuses %j', (value, problem) => {
    expect(externalIdProblem(value, 'externalId')).toMatch(problem);
  });

  it('names the field it was given', () => {
    expect(externalIdProblem('', 'customer_external_id in the path')).toBe('customer_external_id in the path must not be empty.');
  });
});
