import { domainToASCII } from 'node:url';
import isEmail from 'validator/lib/isEmail';

/**
 * A customer's email address as SES can send to it, or why it never can be.
 * - `ok`: `address` is exactly one mailbox, `local@domain`, its domain in ASCII (IDNA/punycode).
 * - `undeliverable`: `reason` says what is wrong; no retry or resend will change it.
 */
export type SendableAddress = { ok: true; address: string } | { ok: false; reason: string };

/** SES's limit on an address (RFC 5321: 64 octets of local part, 254 in all). */
const MAX_ADDRESS_LENGTH = 254;

/**
 * Checks that `raw` is exactly one recipient and puts it in the form SES takes:
 * - one addr-spec, nothing else: no display name (`Name <a@b>`), no list (`a, b`), no CR/LF or other
 *   control character (a header injection such as `a@b\r\nBcc: c@d`);
 * - the local part in 7-bit ASCII and the domain in IDNA ASCII form: SES does not support
 *   SMTPUTF8, and a domain with Unicode characters must be sent as punycode (Amazon SES Developer
 *   Guide, "Email address format", and the SES API reference, Destination): `user@bücher.example`
 *   becomes `user@xn--bcher-kva.example` (WHATWG/UTS #46 mapping, node:url domainToASCII);
 * - syntax checked by validator.js's isEmail (RFC 5321/5322 addr-spec, a TLD required, no IP
 *   literal).
 * Pure; never throws. An `undeliverable` answer is for good: the caller records it, not retries it.
 */
export function toSendableAddress(raw: string): SendableAddress {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f-\u009f]/.test(raw)) return { ok: false, reason: 'contains a line break or control character' };
  const text = raw.trim();
  if (text === '') return { ok: false, reason: 'empty' };
  if (/[<>]/.test(text)) return { ok: false, reason: 'a display name or angle brackets, not a bare address' };
  if (/[,;]/.test(text)) return { ok: false, reason: 'a list of addresses, not one' };
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return { ok: false, reason: 'not an email address (local@domain)' };
  const local = text.slice(0, at);
  const domain = domainToASCII(text.slice(at + 1));
  if (domain === '') return { ok: false, reason: 'the domain is not a valid internationalised domain name' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the 7-bit ASCII range
  if (!/^[\u0000-\u007f]+$/.test(local)) return { ok: false, reason: 'the part before @ is not ASCII (SES does not support SMTPUTF8)' };
  const address = `${local}@${domain}`;
  if (address.length > MAX_ADDRESS_LENGTH) return { ok: false, reason: `longer than ${MAX_ADDRESS_LENGTH} characters` };
  if (!isEmail(address, { allow_display_name: false, allow_utf8_local_part: false, require_tld: true, allow_ip_domain: false })) {
    return { ok: false, reason: 'not a valid email address' };
  }
  return { ok: true, address };
}
