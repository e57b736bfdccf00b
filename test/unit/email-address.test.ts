import { toSendableAddress } from '../../lambdas/domain/email-address';

describe('toSendableAddress: exactly one mailbox, in the form SES takes', () => {
  it.each([
    ['a plain address', 'someone@example.com', 'someone@example.com'],
    ['a Unicode domain, as punycode', 'user@bücher.example', 'user@xn--bcher-kva.example'],
    ['a domain already in punycode', 'user@xn--bcher-kva.example', 'user@xn--bcher-kva.example'],
    ['a Japanese domain', 'sakura@例え.jp', 'sakura@xn--r8jz45g.jp'],
    ['plus addressing and subdomains', 'a.b+shop@mail.example.co.uk', 'a.b+shop@mail.example.co.uk'],
    ['surrounding spaces, trimmed', '  someone@example.com ', 'someone@example.com'],
  ])('sends %s', (_what, raw, sent) => {
    expect(toSendableAddress(raw)).toEqual({ ok: true, address: sent });
  });

  it.each([
    ['a header injection (CR/LF)', 'someone@example.com\r\nBcc: other@example.net', /line break/],
    ['a bare line feed', 'someone@example.com\nBcc: other@example.net', /line break/],
    ['a list', 'a, b', /list/],
    ['a list of addresses', 'a@example.com; b@example.com', /list/],
    ['not an address', 'not-an-email', /not an email address/],
    ['a display name', 'Sakura <sakura@example.com>', /display name/],
    ['no domain', 'someone@', /not an email address/],
    ['no top-level domain', 'someone@localhost', /not a valid/],
    ['an IP literal', 'someone@[127.0.0.1]', /not a valid|domain/],
    ['a non-ASCII local part (no SMTPUTF8 at SES)', 'üser@example.com', /not ASCII/],
    ['an empty string', '', /empty/],
    ['an address over 254 characters', `${'a'.repeat(60)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`, /longer than 254/],
  ])('never sends %s', (_what, raw, reason) => {
    const result = toSendableAddress(raw);
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({ reason: expect.stringMatching(reason) });
  });
});
